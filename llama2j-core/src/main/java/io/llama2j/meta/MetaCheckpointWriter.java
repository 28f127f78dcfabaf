package io.llama2j.meta;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.GgmlType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import static io.llama2j.meta.MetaTensorNames.*;

/**
 * Exports a model in Meta's layout: params.json, consolidated.NN.pth shards cut as Meta's model
 * parallelism cuts them (see {@link MetaTensorNames}), and tokenizer.model copied from a source.
 */
public final class MetaCheckpointWriter {
    private MetaCheckpointWriter() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** @param storageType F32, F16 or BF16 (Meta ships BF16) */
    public static void write(Path dir, LlamaConfig c, LlamaWeights w, int shards, GgmlType storageType,
                             Path tokenizerSource) throws IOException {
        write(dir, c, w, shards, storageType, tokenizerSource, false);
    }

    static void write(Path dir, LlamaConfig c, LlamaWeights w, int shards, GgmlType storageType, Path tokenizerSource,
                      boolean forceZip64) throws IOException {
        w.validate(c, "model to export");
        TorchDType dtype = TorchDType.of(storageType);
        if (shards < 1 || c.nHeads() % shards != 0 || c.nKvHeads() % shards != 0 || c.vocabSize() % shards != 0
                || c.hiddenDim() % shards != 0 || c.dim() % shards != 0) {
            throw new IllegalArgumentException("cannot split the model into " + shards + " shards: heads " + c.nHeads()
                    + ", kv heads " + c.nKvHeads() + ", vocab " + c.vocabSize() + ", dim " + c.dim() + " and hidden "
                    + c.hiddenDim() + " must all be multiples of it");
        }
        MetaParams params = MetaParams.of(c);
        Files.createDirectories(dir);
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(MetaParams.FILE_NAME).toFile(), params.toJson());
        int dim = c.dim(), kv = c.kvDim(), hidden = c.hiddenDim(), vocab = c.vocabSize();
        for (int s = 0; s < shards; s++) {
            List<TorchCheckpointWriter.Tensor> tensors = new ArrayList<>();
            tensors.add(part(EMBEDDING, w.tokenEmbedding(), vocab, dim, s, shards));
            tensors.add(part(OUTPUT_NORM, w.outputNorm(), 1, dim, s, shards));
            tensors.add(part(OUTPUT, w.output(), vocab, dim, s, shards));
            for (int l = 0; l < c.nLayers(); l++) {
                tensors.add(part(layer(l, WQ), w.wq()[l], dim, dim, s, shards));
                tensors.add(part(layer(l, WK), w.wk()[l], kv, dim, s, shards));
                tensors.add(part(layer(l, WV), w.wv()[l], kv, dim, s, shards));
                tensors.add(part(layer(l, WO), w.wo()[l], dim, dim, s, shards));
                tensors.add(part(layer(l, W1), w.w1()[l], hidden, dim, s, shards));
                tensors.add(part(layer(l, W2), w.w2()[l], dim, hidden, s, shards));
                tensors.add(part(layer(l, W3), w.w3()[l], hidden, dim, s, shards));
                tensors.add(part(layer(l, ATTENTION_NORM), w.attentionNorm()[l], 1, dim, s, shards));
                tensors.add(part(layer(l, FFN_NORM), w.ffnNorm()[l], 1, dim, s, shards));
            }
            String name = String.format("consolidated.%02d", s);
            TorchCheckpointWriter.write(dir.resolve(name + ".pth"), name, tensors, dtype, forceZip64);
        }
        if (tokenizerSource != null) {
            Files.copy(tokenizerSource, dir.resolve(MetaCheckpoint.TOKENIZER_FILE), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Rank {@code s}'s piece of a [rows, cols] matrix (rows = 1 for a norm vector). */
    private static TorchCheckpointWriter.Tensor part(String name, FloatTensor t, long rows, long cols, int s, int shards) {
        return switch (splitOf(name)) {
            case REPLICATED -> new TorchCheckpointWriter.Tensor(name, new long[]{cols}, t, cols, 0, 0);
            case ROWS -> new TorchCheckpointWriter.Tensor(name, new long[]{rows / shards, cols}, t, cols, s * rows / shards, 0);
            case COLUMNS -> new TorchCheckpointWriter.Tensor(name, new long[]{rows, cols / shards}, t, cols, 0, s * cols / shards);
        };
    }
}
