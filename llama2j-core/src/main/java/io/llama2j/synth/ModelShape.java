package io.llama2j.synth;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shape of a published Llama 2-architecture model, by name: what {@code llama2j synth} fills
 * with random weights to measure speed on a real size without downloading the real weights.
 * Figures are those of the models' published configurations (Meta's params.json for Llama 2,
 * TinyLlama's config.json, llama2.c's model table for the TinyStories models).
 *
 * @param name          the name the CLI accepts
 * @param dim           model width
 * @param hiddenDim     SwiGLU FFN width
 * @param nLayers       transformer blocks
 * @param nHeads        query heads
 * @param nKvHeads      key/value heads (fewer than nHeads for GQA)
 * @param vocabSize     vocabulary the shape was trained with (the --vocab file must match it)
 * @param contextLength trained context length
 */
public record ModelShape(String name, int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads,
                         int vocabSize, int contextLength) {

    /** Llama 2's vocabulary size (its tokenizer.model). */
    public static final int LLAMA2_VOCAB = 32000;

    public static final ModelShape LLAMA2_7B = new ModelShape("llama2-7b", 4096, 11008, 32, 32, 32, LLAMA2_VOCAB, 4096);
    public static final ModelShape LLAMA2_13B = new ModelShape("llama2-13b", 5120, 13824, 40, 40, 40, LLAMA2_VOCAB, 4096);
    public static final ModelShape LLAMA2_70B = new ModelShape("llama2-70b", 8192, 28672, 80, 64, 8, LLAMA2_VOCAB, 4096);
    public static final ModelShape TINYLLAMA_1_1B = new ModelShape("tinyllama-1.1b", 2048, 5632, 22, 32, 4, LLAMA2_VOCAB, 2048);
    public static final ModelShape STORIES_15M = new ModelShape("stories15M", 288, 768, 6, 6, 6, LLAMA2_VOCAB, 256);
    public static final ModelShape STORIES_42M = new ModelShape("stories42M", 512, 1376, 8, 8, 8, LLAMA2_VOCAB, 1024);
    public static final ModelShape STORIES_110M = new ModelShape("stories110M", 768, 2048, 12, 12, 12, LLAMA2_VOCAB, 1024);

    private static final Map<String, ModelShape> BY_NAME = new LinkedHashMap<>();

    static {
        for (ModelShape s : List.of(LLAMA2_7B, LLAMA2_13B, LLAMA2_70B, TINYLLAMA_1_1B, STORIES_15M, STORIES_42M, STORIES_110M)) {
            BY_NAME.put(s.name(), s);
        }
    }

    public ModelShape {
        if (dim <= 0 || hiddenDim <= 0 || nLayers <= 0 || nHeads <= 0 || nKvHeads <= 0 || vocabSize <= 0 || contextLength <= 0) {
            throw new IllegalArgumentException("shape " + name + ": every size must be positive");
        }
        if (dim % nHeads != 0 || nHeads % nKvHeads != 0) {
            throw new IllegalArgumentException("shape " + name + ": dim " + dim + ", " + nHeads + " heads and " + nKvHeads
                    + " kv heads do not divide evenly");
        }
    }

    public int headSize() { return dim / nHeads; }

    public int kvDim() { return nKvHeads * headSize(); }

    /** Number of weights of the whole model (embedding and output counted separately, untied). */
    public long parameterCount() {
        long perLayer = 2L * dim                          // attention and FFN norms
                + (long) dim * dim * 2                    // wq, wo
                + (long) dim * kvDim() * 2                // wk, wv
                + (long) dim * hiddenDim * 3;             // w1, w2, w3
        return perLayer * nLayers + 2L * vocabSize * dim + dim;
    }

    /** The named shape; the message lists the known names. */
    public static ModelShape named(String name) {
        ModelShape s = BY_NAME.get(name);
        if (s == null) {
            throw new IllegalArgumentException("unknown shape " + name + " (known: " + String.join(", ", BY_NAME.keySet()) + ")");
        }
        return s;
    }

    public static List<String> names() { return List.copyOf(BY_NAME.keySet()); }
}
