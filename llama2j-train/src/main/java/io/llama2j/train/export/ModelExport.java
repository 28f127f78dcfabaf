package io.llama2j.train.export;

import io.llama2j.gguf.GgufModelLoader;
import io.llama2j.gguf.GgufValueType;
import io.llama2j.gguf.GgufWriter;
import io.llama2j.hf.HfModelWriter;
import io.llama2j.llama2c.Llama2cWriter;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.model.NamedTensor;
import io.llama2j.safetensors.SafetensorsDType;
import io.llama2j.tensor.GgmlType;
import io.llama2j.tokenizer.Tokenizer;
import io.llama2j.tokenizer.TokenizerJsonWriter;
import io.llama2j.tokenizer.Vocabulary;
import io.llama2j.train.ModelParameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes a trained model through the core writers: GGUF ({@link GgufWriter}, with llama.cpp's
 * llama.* and tokenizer.ggml.* metadata), a Hugging Face folder ({@link HfModelWriter}) and a
 * llama2.c checkpoint ({@link Llama2cWriter}). Each loads in the inference engine.
 */
public final class ModelExport {
    private ModelExport() {}

    /** llama.cpp's llama_ftype of a file whose matrices are all one type (llama.h). */
    private static int fileType(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 7;
            default -> throw new IllegalArgumentException("GGUF export writes F32, F16 or Q8_0 weights, not " + type);
        };
    }

    /**
     * Exports {@code params} as {@code format} with matrices in {@code type} (F32, F16, or Q8_0
     * for GGUF) to {@code out} (a file for GGUF and llama2.c, a folder for HF); returns notes.
     *
     * @param tokenizerFile the tokenizer the data was prepared with (tokenizer.model, .json, .bin or .gguf)
     */
    public static List<String> export(ModelParameters params, Tokenizer tokenizer, Path tokenizerFile, ExportFormat format,
                                      GgmlType type, Path out) throws IOException {
        LlamaConfig c = params.config();
        if (tokenizer.vocabSize() != c.vocabSize()) {
            throw new IllegalArgumentException(tokenizerFile + ": the tokenizer has " + tokenizer.vocabSize()
                    + " tokens, the model " + c.vocabSize());
        }
        LlamaWeights w = params.toWeights();
        List<String> notes = new ArrayList<>();
        if (out.toAbsolutePath().getParent() != null) Files.createDirectories(out.toAbsolutePath().getParent());
        switch (format) {
            case GGUF -> writeGguf(c, w, tokenizer.vocabulary(), type, out, notes);
            case HF -> {
                boolean sentencePiece = tokenizerFile != null && tokenizerFile.getFileName().toString().endsWith(".model");
                HfModelWriter.write(out, c, w, SafetensorsDType.of(type), sentencePiece ? tokenizerFile : null, params.tiedEmbeddings());
                if (!sentencePiece) TokenizerJsonWriter.write(tokenizer.vocabulary(), out.resolve("tokenizer.json"));
            }
            case LLAMA2C -> {
                if (type != GgmlType.F32) throw new IllegalArgumentException("llama2.c checkpoints are float32 only, not " + type);
                Llama2cWriter.writeV0(out, c, w);
                notes.add("llama2.c files hold no vocabulary: run them with -z " + tokenizerFile);
            }
        }
        return notes;
    }

    /**
     * GGUF as llama.cpp's convert_hf_to_gguf.py writes a Llama 2 model: the config under llama.*,
     * the SentencePiece vocabulary under tokenizer.ggml.*, norm gains in F32 and matrices in
     * {@code type}; a matrix whose rows are not whole quantization blocks is written F16 instead
     * (as llama-quantize falls back), with a note.
     */
    static void writeGguf(LlamaConfig c, LlamaWeights w, Vocabulary v, GgmlType type, Path out, List<String> notes)
            throws IOException {
        String arch = GgufModelLoader.ARCHITECTURE + ".";
        GgufWriter g = new GgufWriter()
                .putString("general.architecture", GgufModelLoader.ARCHITECTURE)
                .putString("general.name", "llama2j-pretrained")
                .putUInt32("general.file_type", fileType(type))
                .putUInt32(arch + "context_length", c.contextLength())
                .putUInt32(arch + "embedding_length", c.dim())
                .putUInt32(arch + "block_count", c.nLayers())
                .putUInt32(arch + "feed_forward_length", c.hiddenDim())
                .putUInt32(arch + "attention.head_count", c.nHeads())
                .putUInt32(arch + "attention.head_count_kv", c.nKvHeads())
                .putUInt32(arch + "rope.dimension_count", c.headSize())
                .putUInt32(arch + "vocab_size", c.vocabSize())
                .putFloat32(arch + "attention.layer_norm_rms_epsilon", c.rmsNormEps())
                .putFloat32(arch + "rope.freq_base", c.ropeTheta());
        int[] types = new int[v.size()];
        for (int i = 0; i < types.length; i++) types[i] = v.types()[i].protoNumber();
        g.putString("tokenizer.ggml.model", "llama")
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, v.pieces())
                .putArray("tokenizer.ggml.scores", GgufValueType.FLOAT32, v.scores())
                .putArray("tokenizer.ggml.token_type", GgufValueType.INT32, types)
                .putUInt32("tokenizer.ggml.bos_token_id", v.bosId())
                .putUInt32("tokenizer.ggml.eos_token_id", v.eosId())
                .putUInt32("tokenizer.ggml.unknown_token_id", v.unkId())
                .putBoolean("tokenizer.ggml.add_bos_token", v.addBos())
                .putBoolean("tokenizer.ggml.add_space_prefix", v.normalization().addDummyPrefix())
                .putBoolean("tokenizer.ggml.remove_extra_whitespaces", v.normalization().removeExtraWhitespaces());
        for (NamedTensor t : NamedTensor.list(c, w)) {
            long[] shape = t.shape();
            float[] values = new float[Math.toIntExact(t.tensor().size())];
            t.tensor().dequantize(0, values, 0, values.length);
            boolean matrix = shape.length == 2;
            GgmlType storage = matrix ? type : GgmlType.F32;
            long rowLength = shape[shape.length - 1];
            if (rowLength % storage.blockSize() != 0) {
                notes.add(String.format(Locale.ROOT, "%s: rows of %d values are not whole %s blocks of %d; written as F16",
                        t.name(), rowLength, storage, storage.blockSize()));
                storage = GgmlType.F16;
            }
            // GGUF lists dimensions fastest-varying first: [in, out] for an [out, in] matrix
            long[] ggufShape = matrix ? new long[]{shape[1], shape[0]} : shape;
            g.addTensor(t.name(), storage, ggufShape, values);
        }
        g.write(out);
    }
}
