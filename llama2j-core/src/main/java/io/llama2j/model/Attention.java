package io.llama2j.model;

import io.llama2j.tensor.FloatArrays;
import io.llama2j.tensor.Parallel;

/**
 * Causal scaled dot-product attention over the KV cache with grouped-query heads (Vaswani et
 * al. 2017 §3.2.1; GQA, Ainslie et al. 2023): query head h reads key/value head h / (nHeads /
 * nKvHeads). Each row attends over its own sequence's cache (a prompt batch: one sequence; a
 * decode step: one sequence per row). Heads are split across threads.
 */
final class Attention {
    private Attention() {}

    /** Attention work (positions x head size) below which heads are not split across threads. */
    static final int MIN_PARALLEL_WORK = 1 << 14;

    /**
     * For each of the {@code rows} rows t, with sequence s = a.rowSequence[t] at position
     * p_t = a.rowPosition[t], and each head:
     * xb2[t, head] = Σ_p softmax_p(q[t, head] · key_s[p, kvHead] / √headSize) · value_s[p, kvHead]
     * over p in [0, p_t]. The rows' keys and values must already be in their caches. Rows of one
     * sequence share its score buffer, so they are taken in order within a head.
     */
    static void apply(Parallel parallel, LlamaConfig c, Activations a, int layer, int rows) {
        long workPerHead = 0;
        for (int t = 0; t < rows; t++) workPerHead += (a.rowPosition[t] + 1L) * c.headSize();
        int minHeads = (int) Math.max(1, MIN_PARALLEL_WORK / Math.max(1, workPerHead));
        Heads heads = HEADS.get();
        heads.config = c;
        heads.a = a;
        heads.layer = layer;
        heads.rows = rows;
        try {
            parallel.forRange(c.nHeads(), minHeads, heads);
        } finally {
            heads.config = null;
            heads.a = null;
        }
    }

    /**
     * The parallel loop of {@link #apply} over heads [headStart, headEnd). One per calling thread,
     * reused from call to call, so that attention allocates nothing per token.
     */
    private static final class Heads implements Parallel.RangeBody {
        LlamaConfig config;
        Activations a;
        int layer, rows;

        @Override
        public void run(int headStart, int headEnd) {
            LlamaConfig c = config;
            int dim = c.dim(), kvDim = c.kvDim(), headSize = c.headSize(), groupSize = c.kvGroupSize();
            float scale = (float) (1.0 / Math.sqrt(headSize));
            for (int h = headStart; h < headEnd; h++) {
                int kvOffset = (h / groupSize) * headSize;
                for (int t = 0; t < rows; t++) {
                    InferenceState s = a.rowSequence[t];
                    float[] keys = s.kvCache.keys[layer];
                    float[] values = s.kvCache.values[layer];
                    int att = h * s.maxSequenceLength(); // this head's score row in s.att
                    int qOffset = t * dim + h * headSize;
                    int last = a.rowPosition[t];
                    for (int p = 0; p <= last; p++) {
                        int kOffset = p * kvDim + kvOffset;
                        s.att[att + p] = FloatArrays.dot(a.q, qOffset, keys, kOffset, headSize) * scale;
                    }
                    FloatArrays.softmax(s.att, att, last + 1);
                    int outOffset = t * dim + h * headSize;
                    java.util.Arrays.fill(a.xb2, outOffset, outOffset + headSize, 0f);
                    for (int p = 0; p <= last; p++) {
                        float weight = s.att[att + p];
                        int vOffset = p * kvDim + kvOffset;
                        FloatArrays.addScaled(a.xb2, outOffset, weight, values, vOffset, headSize);
                    }
                }
            }
        }
    }

    private static final ThreadLocal<Heads> HEADS = ThreadLocal.withInitial(Heads::new);
}
