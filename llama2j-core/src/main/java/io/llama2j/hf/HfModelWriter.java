package io.llama2j.hf;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.safetensors.SafetensorsDType;
import io.llama2j.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import static io.llama2j.hf.HfTensorNames.*;

/**
 * Exports a model as a Hugging Face folder: config.json, one model.safetensors (q_proj and
 * k_proj re-permuted into HF's rotate_half row order, as HF's converter writes them) and the
 * tokenizer file copied from a given source (tokenizer.model or tokenizer.json).
 */
public final class HfModelWriter {
    private HfModelWriter() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param tokenizerSource tokenizer.model (SentencePiece) or tokenizer.json to copy, or null for none
     * @param tied            write no lm_head and set tie_word_embeddings (the output must be the embedding)
     */
    public static void write(Path dir, LlamaConfig c, LlamaWeights w, SafetensorsDType dtype, Path tokenizerSource,
                             boolean tied) throws IOException {
        w.validate(c, "model to export");
        if (tied && w.output() != w.tokenEmbedding()) {
            throw new IllegalArgumentException("cannot tie embeddings: the model has a separate output matrix");
        }
        String tokenizerName = null;
        if (tokenizerSource != null) {
            tokenizerName = tokenizerSource.getFileName().toString().endsWith(".json") ? "tokenizer.json" : "tokenizer.model";
        }
        Files.createDirectories(dir);
        int dim = c.dim(), kv = c.kvDim(), hidden = c.hiddenDim(), vocab = c.vocabSize();
        SafetensorsWriter out = new SafetensorsWriter().metadata("format", "pt");
        out.add(EMBEDDING, dtype, new long[]{vocab, dim}, w.tokenEmbedding());
        for (int l = 0; l < c.nLayers(); l++) {
            out.add(layer(l, ATTENTION_NORM), dtype, new long[]{dim}, w.attentionNorm()[l]);
            out.add(layer(l, WQ), dtype, new long[]{dim, dim}, HfRopePermutation.toHf(w.wq()[l], c.nHeads(), dim, dim));
            out.add(layer(l, WK), dtype, new long[]{kv, dim}, HfRopePermutation.toHf(w.wk()[l], c.nKvHeads(), kv, dim));
            out.add(layer(l, WV), dtype, new long[]{kv, dim}, w.wv()[l]);
            out.add(layer(l, WO), dtype, new long[]{dim, dim}, w.wo()[l]);
            out.add(layer(l, FFN_NORM), dtype, new long[]{dim}, w.ffnNorm()[l]);
            out.add(layer(l, W1_GATE), dtype, new long[]{hidden, dim}, w.w1()[l]);
            out.add(layer(l, W2_DOWN), dtype, new long[]{dim, hidden}, w.w2()[l]);
            out.add(layer(l, W3_UP), dtype, new long[]{hidden, dim}, w.w3()[l]);
        }
        out.add(OUTPUT_NORM, dtype, new long[]{dim}, w.outputNorm());
        if (!tied) out.add(OUTPUT, dtype, new long[]{vocab, dim}, w.output());
        out.write(dir.resolve(HfModel.SINGLE_FILE));
        String torchDtype = switch (dtype) {
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> "float32";
        };
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(HfConfig.FILE_NAME).toFile(),
                HfConfig.of(c, tied).toJson(torchDtype));
        if (tokenizerSource != null) {
            Files.copy(tokenizerSource, dir.resolve(tokenizerName), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
