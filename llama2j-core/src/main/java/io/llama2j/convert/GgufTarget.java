package io.llama2j.convert;

import io.llama2j.gguf.GgufValueType;
import io.llama2j.gguf.GgufWriter;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.NamedTensor;
import io.llama2j.tensor.GgmlType;
import io.llama2j.tensor.Quantizer;
import io.llama2j.tokenizer.Tokenizer;
import io.llama2j.tokenizer.Vocabulary;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a model as a GGUF that llama.cpp loads: the metadata keys and value types its
 * convert_hf_to_gguf.py writes for a Llama (general.*, llama.*, tokenizer.ggml.*), tensors in
 * GGUF naming with ggml's dimension order (ne[0] = columns). Matrices take the requested type;
 * norm vectors stay F32, as llama.cpp keeps them, and a matrix whose rows are not whole blocks of a
 * quantized type falls back to F16. Encoded tensors are staged in a temporary file
 * next to the output and mapped, so the model never has to fit on the heap.
 */
final class GgufTarget {
    private GgufTarget() {}

    /** llama.cpp's llama_ftype numbers (general.file_type) for whole-file types. */
    static int fileType(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("cannot write GGUF weights as " + type
                    + " (supported: F32, F16, BF16, Q8_0, Q4_0)");
        };
    }

    /** ggml's quantization format version (GGML_QNT_VERSION), stored as general.quantization_version. */
    static final int QUANTIZATION_VERSION = 2;
    /** llama.cpp's pre-tokenizer name for SentencePiece Llama vocabularies. */
    static final String PRE_TOKENIZER = "default";
    private static final int CHUNK_ELEMENTS = 1 << 16;

    static void write(SourceModel source, Path out, GgmlType type, ModelConverter.Options options, List<String> notes)
            throws IOException {
        int fileType = fileType(type);
        LlamaConfig c = source.config();
        if (source.tokenizerSource() == null) {
            throw new IllegalArgumentException("a GGUF model must carry its vocabulary (llama.cpp needs tokenizer.ggml.*): "
                    + "pass the tokenizer with --tokenizer");
        }
        Vocabulary v = Tokenizer.load(source.tokenizerSource()).vocabulary();
        if (v.size() != c.vocabSize()) {
            throw new IllegalArgumentException(source.tokenizerSource() + ": the tokenizer has " + v.size()
                    + " tokens but the model's vocabulary has " + c.vocabSize());
        }
        GgufWriter w = new GgufWriter();
        String p = "llama.";
        w.putString("general.architecture", "llama");
        w.putString("general.name", options.modelName() != null ? options.modelName() : nameOf(source.path()));
        w.putUInt32(p + "context_length", c.contextLength());
        w.putUInt32(p + "embedding_length", c.dim());
        w.putUInt32(p + "block_count", c.nLayers());
        w.putUInt32(p + "feed_forward_length", c.hiddenDim());
        w.putUInt32(p + "rope.dimension_count", c.headSize());
        w.putUInt32(p + "attention.head_count", c.nHeads());
        w.putUInt32(p + "attention.head_count_kv", c.nKvHeads());
        w.putFloat32(p + "attention.layer_norm_rms_epsilon", c.rmsNormEps());
        w.putFloat32(p + "rope.freq_base", c.ropeTheta());
        w.putUInt32(p + "vocab_size", c.vocabSize());
        putVocabulary(w, v);
        if (options.chatTemplate() != null) w.putString("tokenizer.chat_template", options.chatTemplate());
        w.putUInt32("general.quantization_version", QUANTIZATION_VERSION);
        w.putUInt32("general.file_type", fileType);

        Path staging = Files.createTempFile(out.toAbsolutePath().getParent(), out.getFileName() + ".", ".tmp");
        try (Arena arena = Arena.ofConfined()) {
            List<long[]> ranges = new ArrayList<>();
            List<NamedTensor> tensors = NamedTensor.list(c, source.weights());
            List<GgmlType> types = new ArrayList<>();
            try (FileChannel ch = FileChannel.open(staging, StandardOpenOption.WRITE)) {
                for (NamedTensor t : tensors) {
                    GgmlType tensorType = t.shape().length == 1 ? GgmlType.F32 : type;
                    long cols = t.shape()[t.shape().length - 1];
                    if (cols % tensorType.blockSize() != 0) {
                        // as llama-quantize does: a matrix whose rows do not split into blocks keeps 16-bit floats
                        notes.add(t.name() + " written as F16: its rows of " + cols + " values are not a multiple of "
                                + tensorType + "'s block of " + tensorType.blockSize());
                        tensorType = GgmlType.F16;
                    }
                    long start = ch.position();
                    stage(t, tensorType, ch);
                    ranges.add(new long[]{start, ch.position() - start});
                    types.add(tensorType);
                }
            }
            MemorySegment staged;
            try (FileChannel ch = FileChannel.open(staging, StandardOpenOption.READ)) {
                staged = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            }
            for (int i = 0; i < tensors.size(); i++) {
                NamedTensor t = tensors.get(i);
                long[] ggmlShape = new long[t.shape().length]; // ggml lists dimensions innermost first
                for (int d = 0; d < ggmlShape.length; d++) ggmlShape[d] = t.shape()[t.shape().length - 1 - d];
                w.addTensor(t.name(), types.get(i), ggmlShape, staged.asSlice(ranges.get(i)[0], ranges.get(i)[1]));
            }
            w.write(out);
        } finally {
            Files.deleteIfExists(staging);
        }
        if (source.weights().output() == source.weights().tokenEmbedding()) {
            notes.add("tied embeddings: no output.weight written (llama.cpp then uses token_embd.weight)");
        }
    }

    /** Encodes a tensor row block by row block into {@code ch}. */
    private static void stage(NamedTensor t, GgmlType type, FileChannel ch) throws IOException {
        long cols = t.shape()[t.shape().length - 1];
        long size = t.tensor().size();
        // Whole rows per chunk keep every chunk a whole number of quantization blocks.
        int chunk = (int) Math.max(cols, CHUNK_ELEMENTS / cols * cols);
        float[] values = new float[chunk];
        for (long off = 0; off < size; off += chunk) {
            int n = (int) Math.min(chunk, size - off);
            t.tensor().dequantize(off, values, 0, n);
            ByteBuffer bytes = ByteBuffer.wrap(Quantizer.quantize(type, values, 0, n));
            while (bytes.hasRemaining()) ch.write(bytes);
        }
    }

    /** tokenizer.ggml.* as llama.cpp's SentencePiece vocabulary writer stores them. */
    private static void putVocabulary(GgufWriter w, Vocabulary v) {
        int n = v.size();
        int[] types = new int[n];
        for (int i = 0; i < n; i++) types[i] = v.types()[i].protoNumber();
        w.putString("tokenizer.ggml.model", "llama");
        w.putString("tokenizer.ggml.pre", PRE_TOKENIZER);
        w.putArray("tokenizer.ggml.tokens", GgufValueType.STRING, v.pieces().clone());
        w.putArray("tokenizer.ggml.scores", GgufValueType.FLOAT32, v.scores().clone());
        w.putArray("tokenizer.ggml.token_type", GgufValueType.INT32, types);
        if (v.bosId() >= 0) w.putUInt32("tokenizer.ggml.bos_token_id", v.bosId());
        if (v.eosId() >= 0) w.putUInt32("tokenizer.ggml.eos_token_id", v.eosId());
        if (v.unkId() >= 0) w.putUInt32("tokenizer.ggml.unknown_token_id", v.unkId());
        w.putBoolean("tokenizer.ggml.add_bos_token", v.addBos());
        w.putBoolean("tokenizer.ggml.add_eos_token", false);
        if (!v.normalization().addDummyPrefix()) w.putBoolean("tokenizer.ggml.add_space_prefix", false);
        if (v.normalization().removeExtraWhitespaces()) w.putBoolean("tokenizer.ggml.remove_extra_whitespaces", true);
    }

    private static String nameOf(Path source) {
        Path name = source.toAbsolutePath().getFileName();
        return name == null ? "llama" : name.toString().replaceFirst("\\.(gguf|bin)$", "");
    }
}
