package io.llama2j.model;

/**
 * Shape and numerics of a Llama 2-architecture model, always read from the model file
 * (never assumed). Paper/Meta defaults are only used by loaders when a file does not store a
 * value, and each loader says so where it does.
 *
 * @param dim           model width (4096 for 7B)
 * @param hiddenDim     SwiGLU FFN width (11008 for 7B); see {@link #ffnHiddenDim}
 * @param nLayers       transformer blocks
 * @param nHeads        query heads
 * @param nKvHeads      key/value heads: nHeads for MHA, fewer for GQA (70B: 8), 1 for MQA
 * @param vocabSize     rows of the embedding and the output projection
 * @param contextLength maximum sequence length the model was trained for
 * @param rmsNormEps    RMSNorm epsilon (Llama 2: 1e-5)
 * @param ropeTheta     RoPE base frequency (Llama 2: 10000, Code Llama: 1e6)
 */
public record LlamaConfig(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads,
                          int vocabSize, int contextLength, float rmsNormEps, float ropeTheta) {

    public LlamaConfig {
        requirePositive("dim", dim);
        requirePositive("hidden_dim", hiddenDim);
        requirePositive("n_layers", nLayers);
        requirePositive("n_heads", nHeads);
        requirePositive("n_kv_heads", nKvHeads);
        requirePositive("vocab_size", vocabSize);
        requirePositive("context_length", contextLength);
        if (dim % nHeads != 0) {
            throw new IllegalArgumentException("dim " + dim + " is not divisible by n_heads " + nHeads);
        }
        if (nHeads % nKvHeads != 0) {
            throw new IllegalArgumentException("n_heads " + nHeads + " is not a multiple of n_kv_heads " + nKvHeads);
        }
        if ((dim / nHeads) % 2 != 0) {
            throw new IllegalArgumentException("head size " + dim / nHeads + " must be even for RoPE");
        }
        if (!(rmsNormEps > 0 && rmsNormEps < 1)) {
            throw new IllegalArgumentException("rms_norm_eps " + rmsNormEps + " is outside (0, 1)");
        }
        if (!(ropeTheta > 1)) {
            throw new IllegalArgumentException("rope_theta " + ropeTheta + " must be > 1");
        }
    }

    private static void requirePositive(String name, int value) {
        if (value <= 0) throw new IllegalArgumentException(name + " must be positive, found " + value);
    }

    public int headSize() { return dim / nHeads; }

    /** Width of the key and value projections: nKvHeads * headSize. */
    public int kvDim() { return nKvHeads * headSize(); }

    /** Query heads that share one key/value head (1 for MHA). */
    public int kvGroupSize() { return nHeads / nKvHeads; }

    /**
     * Meta's FFN sizing (model.py): hidden = int(2 * 4 * dim / 3), scaled by
     * ffn_dim_multiplier when given, rounded up to a multiple of multiple_of.
     * 7B: 11008, 13B: 13824, 70B (multiple_of 4096, multiplier 1.3): 28672.
     */
    public static int ffnHiddenDim(int dim, int multipleOf, Double ffnDimMultiplier) {
        int hidden = (int) (2 * (4L * dim) / 3);
        if (ffnDimMultiplier != null) hidden = (int) (ffnDimMultiplier * hidden);
        return multipleOf * ((hidden + multipleOf - 1) / multipleOf);
    }
}
