package io.llama2j.synth;

import io.llama2j.gguf.GgufValueType;
import io.llama2j.gguf.GgufWriter;
import io.llama2j.tensor.GgmlType;
import io.llama2j.tensor.Parallel;
import io.llama2j.tensor.Quantizer;
import io.llama2j.tokenizer.Vocabulary;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes a llama.cpp-loadable GGUF of a {@link ModelShape} with random Gaussian weights and a
 * real vocabulary: the files on which llama2j and llama.cpp are benchmarked side by side.
 *
 * <p>Streaming: each tensor is generated and quantized a few megabytes of rows at a time while
 * the file is written, so a 70B shape needs no more memory than a small one. Row r of tensor t
 * draws from its own generator seeded by (seed, t, r), so the file does not depend on the
 * thread count.
 *
 * <p>Metadata: the {@code general.*}, {@code llama.*} and {@code tokenizer.ggml.*} keys that
 * llama.cpp's llama-model-loader and llama-vocab read for a Llama 2 (SentencePiece) model, as
 * convert_hf_to_gguf.py writes them. Tensor order and names are convert_hf_to_gguf.py's.
 */
public final class SyntheticModelWriter {
    private SyntheticModelWriter() {}

    /**
     * What to write.
     *
     * @param shape  the model's shape
     * @param type   storage type of the weight matrices
     * @param pure   every matrix (embedding and output included) in {@code type}; otherwise the
     *               embedding and output matrices of a Q4_0 file are Q8_0 (their precision shows
     *               in every logit, which is why llama-quantize also keeps the output finer)
     * @param seed   random seed
     * @param scales standard deviations of the random weights
     */
    public record Settings(ModelShape shape, GgmlType type, boolean pure, long seed, WeightScales scales) {
        public Settings {
            if (!Quantizer.supports(type)) {
                throw new IllegalArgumentException("cannot write " + type + " weights (supported: F32, F16, BF16, Q8_0, Q4_0)");
            }
            if (shape.dim() % type.blockSize() != 0 || shape.hiddenDim() % type.blockSize() != 0) {
                throw new IllegalArgumentException("shape " + shape.name() + ": rows of " + shape.dim() + " and " + shape.hiddenDim()
                        + " values are not whole " + type + " blocks of " + type.blockSize());
            }
        }

        /** The type of the embedding and output matrices. */
        GgmlType embeddingType() {
            return !pure && type == GgmlType.Q4_0 ? GgmlType.Q8_0 : type;
        }
    }

    /**
     * Standard deviations of the random weights. The defaults keep activations of unit scale
     * through every layer (a projection with fan-in n has std 1/√n, as in Xavier/LeCun
     * initialization) and give logits with a std of about {@code outputGain}.
     *
     * @param embedding  std of token embeddings (1: RMSNorm removes the scale anyway)
     * @param normSpread norm weights are 1 + normSpread · N(0, 1)
     * @param outputGain the output matrix has std outputGain / √dim
     */
    public record WeightScales(double embedding, double normSpread, double outputGain) {
        public static final WeightScales DEFAULT = new WeightScales(1.0, 0.1, 4.0);
    }

    /** llama.cpp's {@code llama_ftype} of a file whose matrices are mostly {@code type}. */
    static int fileType(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("no llama_ftype for " + type);
        };
    }

    /** ggml's quantization format version (GGML_QNT_VERSION), stored by quantized files. */
    static final int QUANTIZATION_VERSION = 2;
    /** Llama 2's RMSNorm epsilon and RoPE base (params.json: norm_eps, rope_theta). */
    static final float RMS_NORM_EPS = 1e-5f;
    static final float ROPE_FREQ_BASE = 10000f;
    /** Floats generated per chunk of rows (a few megabytes in flight). */
    private static final int CHUNK_VALUES = 1 << 22;

    /** Writes the model to {@code out}, tensor by tensor, using {@code parallel} to fill rows. */
    public static void write(Settings settings, Vocabulary vocabulary, Path out, Parallel parallel) throws IOException {
        ModelShape s = settings.shape();
        if (vocabulary.size() != s.vocabSize()) {
            throw new IllegalArgumentException(vocabulary.source() + ": shape " + s.name() + " needs a vocabulary of " + s.vocabSize()
                    + " tokens, found " + vocabulary.size());
        }
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "llama");
        w.putString("general.name", "llama2j-synth " + s.name() + " " + settings.type() + (settings.pure() ? " pure" : ""));
        w.putUInt32("general.file_type", fileType(settings.type()));
        if (settings.type().blockSize() > 1) w.putUInt32("general.quantization_version", QUANTIZATION_VERSION);
        w.putUInt32("llama.context_length", s.contextLength());
        w.putUInt32("llama.embedding_length", s.dim());
        w.putUInt32("llama.block_count", s.nLayers());
        w.putUInt32("llama.feed_forward_length", s.hiddenDim());
        w.putUInt32("llama.rope.dimension_count", s.headSize());
        w.putUInt32("llama.attention.head_count", s.nHeads());
        w.putUInt32("llama.attention.head_count_kv", s.nKvHeads());
        w.putFloat32("llama.attention.layer_norm_rms_epsilon", RMS_NORM_EPS);
        w.putFloat32("llama.rope.freq_base", ROPE_FREQ_BASE);
        w.putUInt32("llama.vocab_size", s.vocabSize());
        putVocabulary(w, vocabulary);

        WeightScales sc = settings.scales();
        int dim = s.dim(), kv = s.kvDim(), hidden = s.hiddenDim();
        double projection = 1.0 / Math.sqrt(dim), down = 1.0 / Math.sqrt(hidden);
        TensorPlan plan = new TensorPlan(w, settings.seed(), parallel);
        plan.matrix("token_embd.weight", settings.embeddingType(), s.vocabSize(), dim, 0, sc.embedding());
        for (int l = 0; l < s.nLayers(); l++) {
            String b = "blk." + l + ".";
            plan.vector(b + "attn_norm.weight", dim, sc.normSpread());
            plan.matrix(b + "attn_q.weight", settings.type(), dim, dim, 0, projection);
            plan.matrix(b + "attn_k.weight", settings.type(), kv, dim, 0, projection);
            plan.matrix(b + "attn_v.weight", settings.type(), kv, dim, 0, projection);
            plan.matrix(b + "attn_output.weight", settings.type(), dim, dim, 0, projection);
            plan.vector(b + "ffn_norm.weight", dim, sc.normSpread());
            plan.matrix(b + "ffn_gate.weight", settings.type(), hidden, dim, 0, projection);
            plan.matrix(b + "ffn_up.weight", settings.type(), hidden, dim, 0, projection);
            plan.matrix(b + "ffn_down.weight", settings.type(), dim, hidden, 0, down);
        }
        plan.vector("output_norm.weight", dim, sc.normSpread());
        plan.matrix("output.weight", settings.embeddingType(), s.vocabSize(), dim, 0, sc.outputGain() / Math.sqrt(dim));
        w.write(out);
    }

    /** The {@code tokenizer.ggml.*} keys of a SentencePiece (llama) vocabulary. */
    static void putVocabulary(GgufWriter w, Vocabulary v) {
        int[] types = new int[v.size()];
        for (int i = 0; i < types.length; i++) types[i] = v.types()[i].protoNumber();
        w.putString("tokenizer.ggml.model", "llama");
        w.putString("tokenizer.ggml.pre", "default");
        w.putArray("tokenizer.ggml.tokens", GgufValueType.STRING, v.pieces().clone());
        w.putArray("tokenizer.ggml.scores", GgufValueType.FLOAT32, v.scores().clone());
        w.putArray("tokenizer.ggml.token_type", GgufValueType.INT32, types);
        w.putUInt32("tokenizer.ggml.unknown_token_id", v.unkId());
        if (v.bosId() >= 0) w.putUInt32("tokenizer.ggml.bos_token_id", v.bosId());
        if (v.eosId() >= 0) w.putUInt32("tokenizer.ggml.eos_token_id", v.eosId());
        w.putBoolean("tokenizer.ggml.add_bos_token", v.addBos());
        w.putBoolean("tokenizer.ggml.add_eos_token", false);
        w.putBoolean("tokenizer.ggml.add_space_prefix", v.normalization().addDummyPrefix());
        w.putBoolean("tokenizer.ggml.remove_extra_whitespaces", v.normalization().removeExtraWhitespaces());
    }

    /** Adds tensors whose rows are generated while the file is written. */
    private static final class TensorPlan {
        private final GgufWriter writer;
        private final long seed;
        private final Parallel parallel;
        private int tensorIndex;

        TensorPlan(GgufWriter writer, long seed, Parallel parallel) {
            this.writer = writer;
            this.seed = seed;
            this.parallel = parallel;
        }

        /** A norm weight: F32 (ggml keeps 1-D tensors in F32), 1 + spread · N(0, 1). */
        void vector(String name, int n, double spread) {
            add(name, GgmlType.F32, 1, n, 1.0, spread);
        }

        /** A [rows, cols] matrix, N(mean, std²), stored with GGUF shape [cols, rows]. */
        void matrix(String name, GgmlType type, int rows, int cols, double mean, double std) {
            add(name, type, rows, cols, mean, std);
        }

        private void add(String name, GgmlType type, int rows, int cols, double mean, double std) {
            int index = tensorIndex++;
            long[] shape = rows == 1 ? new long[]{cols} : new long[]{cols, rows};
            writer.addTensor(name, type, shape, out -> writeRows(out, index, type, rows, cols, mean, std));
        }

        private void writeRows(OutputStream out, int index, GgmlType type, int rows, int cols, double mean, double std)
                throws IOException {
            int rowBytes = Math.toIntExact(type.byteSize(cols));
            int chunkRows = Math.max(1, Math.min(rows, CHUNK_VALUES / cols));
            float[] values = new float[chunkRows * cols];
            byte[] bytes = new byte[chunkRows * rowBytes];
            for (int first = 0; first < rows; first += chunkRows) {
                int count = Math.min(chunkRows, rows - first);
                int chunkFirst = first;
                parallel.forRange(count, 1, (start, end) -> {
                    for (int r = start; r < end; r++) {
                        SplittableRandom random = new SplittableRandom(rowSeed(seed, index, chunkFirst + r));
                        int at = r * cols;
                        for (int c = 0; c < cols; c++) values[at + c] = (float) (mean + std * random.nextGaussian());
                        System.arraycopy(Quantizer.quantize(type, values, at, cols), 0, bytes, r * rowBytes, rowBytes);
                    }
                });
                out.write(bytes, 0, count * rowBytes);
            }
        }
    }

    /** A well-mixed seed for one row (SplittableRandom's own mixing of a combined key). */
    static long rowSeed(long seed, int tensor, int row) {
        return new SplittableRandom(seed ^ ((long) tensor << 32 | row)).nextLong();
    }
}
