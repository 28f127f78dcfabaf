package io.llama2j.llama2c;

import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.tensor.F32Tensor;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.Llama2cQ8Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A llama2.c checkpoint (github.com/karpathy/llama2.c, export.py), memory-mapped: every tensor is
 * a slice of one mapped segment, nothing is copied to the heap. Three layouts exist:
 * <ul>
 *   <li>legacy, "version 0" (run.c): 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
 *       vocab_size, seq_len), a negative vocab_size meaning "separate classifier", then float32
 *       tensors: token embedding, attention norms, wq, wk, wv, wo, ffn norms, w1, w2, w3, final
 *       norm, the RoPE tables freq_cis_real and freq_cis_imag (seq_len, head_size/2), which are
 *       skipped (RoPE is computed), and the classifier when untied;</li>
 *   <li>version 1: a 256-byte header (magic "ak42" = 0x616b3432, version, the 7 ints, a
 *       shared_classifier byte), float32 norms (all attention norms, all FFN norms, final norm),
 *       then float32 token embedding, wq.. of every layer, w1, w2, w3, and the classifier when not shared;</li>
 *   <li>version 2 (runq.c): the same header plus int32 group_size, the float32 norms, then every
 *       matrix of version 1's list quantized to int8 groups ({@link Llama2cQ8Tensor}).</li>
 * </ul>
 * The format stores neither the RMSNorm epsilon nor the RoPE base: run.c hard-codes them, so
 * this reader uses the same values, {@link #RMS_NORM_EPS} and {@link #ROPE_THETA}.
 */
public record Llama2cCheckpoint(Path file, int version, LlamaConfig config, LlamaWeights weights) {

    /** run.c's RMSNorm epsilon (not stored in the file). */
    public static final float RMS_NORM_EPS = 1e-5f;
    /** run.c's RoPE base frequency (not stored in the file). */
    public static final float ROPE_THETA = 10000f;
    /** "ak42" read as a little-endian uint32: the first bytes of version 1 and 2 files. */
    public static final int MAGIC = 0x616b3432;
    /** Size of the version 1 and 2 header, padding included. */
    public static final int HEADER_BYTES_V1 = 256;
    /** Size of the legacy header: 7 int32. */
    public static final int HEADER_BYTES_V0 = 7 * Integer.BYTES;
    /** Largest width or count the reader accepts in a header (guards the size arithmetic). */
    private static final int MAX_HEADER_VALUE = 1 << 24;

    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** True when the file starts like a llama2.c checkpoint (magic, or a plausible legacy header). */
    public static boolean looksLike(MemorySegment head) {
        if (head.byteSize() < HEADER_BYTES_V0) return false;
        if (head.get(INT_LE, 0) == MAGIC) return true;
        int[] h = new int[7];
        for (int i = 0; i < 7; i++) h[i] = head.get(INT_LE, i * 4L);
        return h[0] > 0 && h[0] <= MAX_HEADER_VALUE && h[1] > 0 && h[1] <= MAX_HEADER_VALUE && h[2] > 0 && h[2] <= MAX_HEADER_VALUE
                && h[3] > 0 && h[3] <= h[0] && h[4] > 0 && h[4] <= h[3] && h[5] != 0 && h[6] > 0 && h[6] <= MAX_HEADER_VALUE;
    }

    /** Maps {@code file} and checks its header and size before reading any tensor. */
    public static Llama2cCheckpoint load(Path file) throws IOException {
        MemorySegment all;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            // The mapping outlives the channel; Arena.ofAuto unmaps it when no tensor refers to it.
            all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto());
        }
        return read(file, all);
    }

    /** Reads a checkpoint held in {@code all} (a mapped file or, in tests, a heap segment). */
    public static Llama2cCheckpoint read(Path file, MemorySegment all) throws IOException {
        long fileSize = all.byteSize();
        if (fileSize < HEADER_BYTES_V0) {
            throw new IOException(file + ": " + fileSize + " bytes is too short for a llama2.c header ("
                    + HEADER_BYTES_V0 + " bytes at least)");
        }
        boolean versioned = all.get(INT_LE, 0) == MAGIC;
        int version = 0;
        long headerEnd = HEADER_BYTES_V0;
        int paramsOffset = 0;
        boolean shared;
        int groupSize = 0;
        if (versioned) {
            if (fileSize < HEADER_BYTES_V1) {
                throw new IOException(file + ": llama2.c header is 256 bytes, the file has only " + fileSize);
            }
            version = all.get(INT_LE, 4);
            if (version != 1 && version != 2) {
                throw new IOException(file + ": llama2.c version " + version + " is not supported (expected 1 or 2)");
            }
            paramsOffset = 8;
            byte sharedByte = all.get(ValueLayout.JAVA_BYTE, 36);
            if (sharedByte != 0 && sharedByte != 1) {
                throw new IOException(file + ": shared_classifier must be 0 or 1, found " + sharedByte);
            }
            shared = sharedByte == 1;
            if (version == 2) groupSize = all.get(INT_LE, 37);
            headerEnd = HEADER_BYTES_V1;
        } else {
            shared = all.get(INT_LE, 5 * 4L) > 0;
        }
        String[] fieldNames = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
        int[] p = new int[7];
        for (int i = 0; i < 7; i++) {
            p[i] = all.get(INT_LE, paramsOffset + i * 4L);
            int value = i == 5 && version == 0 ? Math.abs(p[i]) : p[i];
            if (value <= 0 || value > MAX_HEADER_VALUE) {
                throw new IOException(file + ": header field " + fieldNames[i] + " must be in [1, " + MAX_HEADER_VALUE
                        + "], found " + p[i] + (versioned ? "" : " (is this a llama2.c checkpoint?)"));
            }
        }
        int vocab = Math.abs(p[5]);
        LlamaConfig config;
        try {
            config = new LlamaConfig(p[0], p[1], p[2], p[3], p[4], vocab, p[6], RMS_NORM_EPS, ROPE_THETA);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": invalid llama2.c header: " + e.getMessage(), e);
        }
        if (version == 2) {
            if (groupSize <= 0 || config.dim() % groupSize != 0) {
                throw new IOException(file + ": group_size must be a positive divisor of dim " + config.dim() + ", found " + groupSize);
            }
        }

        long dim = config.dim(), kvDim = config.kvDim(), hidden = config.hiddenDim(), layers = config.nLayers();
        long[] matrixSizes = {dim * dim, kvDim * dim, kvDim * dim, dim * dim, hidden * dim, dim * hidden, hidden * dim};
        long embedding = vocab * dim;
        long expected;
        if (version == 2) {
            long values = embedding + (shared ? 0 : embedding);
            for (long m : matrixSizes) values += layers * m;
            for (long m : matrixSizes) requireGroups(file, m, groupSize);
            requireGroups(file, embedding, groupSize);
            long norms = (2 * layers + 1) * dim;
            expected = headerEnd + norms * Float.BYTES + values + values / groupSize * Float.BYTES;
        } else {
            long floats = embedding + (shared ? 0 : embedding) + (2 * layers + 1) * dim;
            for (long m : matrixSizes) floats += layers * m;
            if (version == 0) floats += (long) config.contextLength() * config.headSize(); // freq_cis real + imag
            expected = headerEnd + floats * Float.BYTES;
        }
        if (fileSize != expected) {
            throw new IOException(file + ": a llama2.c version " + version + " checkpoint with this header (dim " + dim
                    + ", hidden_dim " + hidden + ", n_layers " + layers + ", n_heads " + config.nHeads() + ", n_kv_heads "
                    + config.nKvHeads() + ", vocab " + vocab + (shared ? " shared" : " untied") + ", seq_len "
                    + config.contextLength() + ") takes " + expected + " bytes, the file has " + fileSize
                    + (fileSize < expected ? " (truncated?)" : ""));
        }

        Slicer s = new Slicer(all, headerEnd, groupSize);
        int n = config.nLayers();
        FloatTensor[] attentionNorm = new FloatTensor[n], ffnNorm = new FloatTensor[n];
        FloatTensor[] wq = new FloatTensor[n], wk = new FloatTensor[n], wv = new FloatTensor[n], wo = new FloatTensor[n];
        FloatTensor[] w1 = new FloatTensor[n], w2 = new FloatTensor[n], w3 = new FloatTensor[n];
        FloatTensor tokenEmbedding, outputNorm, output;
        if (version == 0) {
            tokenEmbedding = s.f32(embedding);
            for (int l = 0; l < n; l++) attentionNorm[l] = s.f32(dim);
            for (int l = 0; l < n; l++) wq[l] = s.f32(matrixSizes[0]);
            for (int l = 0; l < n; l++) wk[l] = s.f32(matrixSizes[1]);
            for (int l = 0; l < n; l++) wv[l] = s.f32(matrixSizes[2]);
            for (int l = 0; l < n; l++) wo[l] = s.f32(matrixSizes[3]);
            for (int l = 0; l < n; l++) ffnNorm[l] = s.f32(dim);
            for (int l = 0; l < n; l++) w1[l] = s.f32(matrixSizes[4]);
            for (int l = 0; l < n; l++) w2[l] = s.f32(matrixSizes[5]);
            for (int l = 0; l < n; l++) w3[l] = s.f32(matrixSizes[6]);
            outputNorm = s.f32(dim);
            s.skip((long) config.contextLength() * config.headSize() * Float.BYTES); // freq_cis_real, freq_cis_imag
            output = shared ? tokenEmbedding : s.f32(embedding);
        } else {
            for (int l = 0; l < n; l++) attentionNorm[l] = s.f32(dim);
            for (int l = 0; l < n; l++) ffnNorm[l] = s.f32(dim);
            outputNorm = s.f32(dim);
            tokenEmbedding = s.matrix(embedding);
            FloatTensor[][] lists = {wq, wk, wv, wo, w1, w2, w3};
            for (int m = 0; m < lists.length; m++) {
                for (int l = 0; l < n; l++) lists[m][l] = s.matrix(matrixSizes[m]);
            }
            output = shared ? tokenEmbedding : s.matrix(embedding);
        }
        LlamaWeights weights = new LlamaWeights(tokenEmbedding, attentionNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3, outputNorm, output);
        weights.validate(config, file.toString());
        return new Llama2cCheckpoint(file, version, config, weights);
    }

    private static void requireGroups(Path file, long elements, int groupSize) throws IOException {
        if (elements % groupSize != 0) {
            throw new IOException(file + ": a tensor of " + elements + " elements is not a whole number of groups of " + groupSize);
        }
    }

    /** Hands out consecutive tensors from the mapped file. */
    private static final class Slicer {
        private final MemorySegment all;
        private final int groupSize;
        private long offset;

        Slicer(MemorySegment all, long offset, int groupSize) {
            this.all = all;
            this.offset = offset;
            this.groupSize = groupSize;
        }

        FloatTensor f32(long elements) {
            MemorySegment slice = all.asSlice(offset, elements * Float.BYTES);
            offset += elements * Float.BYTES;
            return new F32Tensor(slice);
        }

        /** A weight matrix: float32 in version 1, int8 values then float32 group scales in version 2. */
        FloatTensor matrix(long elements) {
            if (groupSize == 0) return f32(elements);
            MemorySegment values = all.asSlice(offset, elements);
            offset += elements;
            MemorySegment scales = all.asSlice(offset, elements / groupSize * Float.BYTES);
            offset += elements / groupSize * Float.BYTES;
            return new Llama2cQ8Tensor(values, scales, groupSize);
        }

        void skip(long bytes) { offset += bytes; }
    }
}
