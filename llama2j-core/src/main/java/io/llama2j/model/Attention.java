package io.llama2j.model;

import io.llama2j.tensor.FloatArrays;
import io.llama2j.tensor.Parallel;

/**
 * Causal scaled dot-product attention over the KV cache with grouped-query heads (Vaswani et
 * al. 2017 §3.2.1; GQA, Ainslie et al. 2023): query head h reads key/value head h / (nHeads /
 * nKvHeads). Heads are split across threads.
 */
final class Attention {
    private Attention() {}

    /** Attention work (positions x head size) below which heads are not split across threads. */
    static final int MIN_PARALLEL_WORK = 1 << 14;

    /**
     * For each of the {@code tokens} batch tokens t at position firstPosition + t, and each head:
     * out[t, head] = Σ_p softmax_p(q[t, head] · key[p, kvHead] / √headSize) · value[p, kvHead]
     * over p in [0, firstPosition + t]. The batch's keys and values must already be in the cache.
     */
    static void apply(Parallel parallel, LlamaConfig c, InferenceState s, int layer, int firstPosition, int tokens) {
        int dim = c.dim(), kvDim = c.kvDim(), headSize = c.headSize(), groupSize = c.kvGroupSize();
        int maxSeq = s.maxSequenceLength();
        float[] keys = s.kvCache.keys[layer];
        float[] values = s.kvCache.values[layer];
        float scale = (float) (1.0 / Math.sqrt(headSize));
        int minHeads = Math.max(1, MIN_PARALLEL_WORK / Math.max(1, (firstPosition + tokens) * headSize * tokens));
        parallel.forRange(c.nHeads(), minHeads, (headStart, headEnd) -> {
            for (int h = headStart; h < headEnd; h++) {
                int kvOffset = (h / groupSize) * headSize;
                int att = h * maxSeq; // this head's score row in s.att
                for (int t = 0; t < tokens; t++) {
                    int qOffset = t * dim + h * headSize;
                    int last = firstPosition + t;
                    for (int p = 0; p <= last; p++) {
                        int kOffset = p * kvDim + kvOffset;
                        s.att[att + p] = FloatArrays.dot(s.q, qOffset, keys, kOffset, headSize) * scale;
                    }
                    FloatArrays.softmax(s.att, att, last + 1);
                    int outOffset = t * dim + h * headSize;
                    java.util.Arrays.fill(s.xb2, outOffset, outOffset + headSize, 0f);
                    for (int p = 0; p <= last; p++) {
                        float weight = s.att[att + p];
                        int vOffset = p * kvDim + kvOffset;
                        FloatArrays.addScaled(s.xb2, outOffset, weight, values, vOffset, headSize);
                    }
                }
            }
        });
    }
}
