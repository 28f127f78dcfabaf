package io.llama2j.model;

import io.llama2j.tensor.F32Tensor;
import io.llama2j.tensor.FloatTensor;

import java.util.Random;

/**
 * Test fixture: small Llama 2-shaped models with seeded random float32 weights (heap tensors).
 * Weight scales follow the tiny GGUF references (PROVENANCE.md): matrices N(0, 1/in), norms
 * 1 + 0.1·N(0,1), so logits stay in a realistic range.
 */
public final class RandomLlama {
    private RandomLlama() {}

    /** dim 32, 2 layers, 4 heads, 2 kv heads (GQA), FFN 48, vocab 40, context 64. */
    public static LlamaConfig smallConfig() {
        return new LlamaConfig(32, 48, 2, 4, 2, 40, 64, 1e-5f, 10000f);
    }

    public static LlamaWeights weights(LlamaConfig c, long seed, boolean tied) {
        Random r = new Random(seed);
        int n = c.nLayers(), dim = c.dim(), kv = c.kvDim(), hidden = c.hiddenDim();
        FloatTensor[] attNorm = new FloatTensor[n], ffnNorm = new FloatTensor[n];
        FloatTensor[] wq = new FloatTensor[n], wk = new FloatTensor[n], wv = new FloatTensor[n], wo = new FloatTensor[n];
        FloatTensor[] w1 = new FloatTensor[n], w2 = new FloatTensor[n], w3 = new FloatTensor[n];
        FloatTensor embedding = gaussian(r, (long) c.vocabSize() * dim, 1.0);
        for (int l = 0; l < n; l++) {
            attNorm[l] = norm(r, dim);
            wq[l] = gaussian(r, (long) dim * dim, 1.0 / Math.sqrt(dim));
            wk[l] = gaussian(r, (long) kv * dim, 1.0 / Math.sqrt(dim));
            wv[l] = gaussian(r, (long) kv * dim, 1.0 / Math.sqrt(dim));
            wo[l] = gaussian(r, (long) dim * dim, 1.0 / Math.sqrt(dim));
            ffnNorm[l] = norm(r, dim);
            w1[l] = gaussian(r, (long) hidden * dim, 1.0 / Math.sqrt(dim));
            w2[l] = gaussian(r, (long) dim * hidden, 1.0 / Math.sqrt(hidden));
            w3[l] = gaussian(r, (long) hidden * dim, 1.0 / Math.sqrt(dim));
        }
        FloatTensor outputNorm = norm(r, dim);
        FloatTensor output = tied ? embedding : gaussian(r, (long) c.vocabSize() * dim, 4.0 / Math.sqrt(dim));
        return new LlamaWeights(embedding, attNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3, outputNorm, output);
    }

    public static Llama model(long seed) {
        LlamaConfig c = smallConfig();
        return new Llama(c, weights(c, seed, false));
    }

    static FloatTensor gaussian(Random r, long n, double std) {
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * std);
        return F32Tensor.of(v);
    }

    static FloatTensor norm(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (1 + 0.1 * r.nextGaussian());
        return F32Tensor.of(v);
    }

    /** A copy of {@code t} as a new heap tensor (a different object with equal values). */
    public static FloatTensor copy(FloatTensor t) {
        float[] v = new float[Math.toIntExact(t.size())];
        t.dequantize(0, v, 0, v.length);
        return F32Tensor.of(v);
    }
}
