package io.llama2j.model;

import io.llama2j.tensor.F32Tensor;
import io.llama2j.tensor.FloatTensor;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Test fixture: small Llama 2-shaped models with seeded random float32 weights (heap tensors).
 * Weight scales follow the tiny GGUF references (PROVENANCE.md): matrices N(0, 1/in), norms
 * 1 + 0.1·N(0,1), so logits stay in a realistic range. Also element-by-element weight comparison.
 */
public final class RandomLlama {
    private RandomLlama() {}

    /** dim 32, 2 layers, 4 heads, 2 kv heads (GQA), FFN 48, vocab 40, context 64. */
    public static LlamaConfig smallConfig() {
        return new LlamaConfig(32, 48, 2, 4, 2, 40, 64, 1e-5f, 10000f);
    }

    /** GQA model: dim 64, FFN 192 (Meta sizing with multiple_of 32), 2 layers, 4 heads, 2 kv heads. */
    public static LlamaConfig smallGqaConfig(int vocabSize) {
        return new LlamaConfig(64, LlamaConfig.ffnHiddenDim(64, 32, null), 2, 4, 2, vocabSize, 128, 1e-5f, 10000f);
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

    /** All elements of a tensor, read with getFloat (the scalar reference path). */
    public static float[] values(FloatTensor t) {
        float[] v = new float[Math.toIntExact(t.size())];
        for (int i = 0; i < v.length; i++) v[i] = t.getFloat(i);
        return v;
    }

    /** Asserts every tensor of {@code actual} equals {@code expected} element by element, within {@code tolerance}. */
    public static void assertSameWeights(LlamaWeights expected, LlamaWeights actual, float tolerance) {
        assertSameTensor("token embedding", expected.tokenEmbedding(), actual.tokenEmbedding(), tolerance);
        assertSameTensor("output norm", expected.outputNorm(), actual.outputNorm(), tolerance);
        assertSameTensor("output", expected.output(), actual.output(), tolerance);
        FloatTensor[][] e = {expected.attentionNorm(), expected.wq(), expected.wk(), expected.wv(), expected.wo(),
                expected.ffnNorm(), expected.w1(), expected.w2(), expected.w3()};
        FloatTensor[][] a = {actual.attentionNorm(), actual.wq(), actual.wk(), actual.wv(), actual.wo(),
                actual.ffnNorm(), actual.w1(), actual.w2(), actual.w3()};
        String[] names = {"attention norm", "wq", "wk", "wv", "wo", "ffn norm", "w1", "w2", "w3"};
        for (int t = 0; t < names.length; t++) {
            assertThat(a[t]).as(names[t] + " layers").hasSameSizeAs(e[t]);
            for (int l = 0; l < e[t].length; l++) {
                assertSameTensor("layer " + l + " " + names[t], e[t][l], a[t][l], tolerance);
            }
        }
    }

    /**
     * Element-by-element comparison that names the first differing index (AssertJ's array diff is
     * quadratic, far too slow for embedding-sized tensors). Also checks that the bulk path
     * (dequantize) agrees with getFloat.
     */
    public static void assertSameTensor(String name, FloatTensor expected, FloatTensor actual, float tolerance) {
        assertThat(actual.size()).as(name + " size").isEqualTo(expected.size());
        float[] ev = values(expected), av = values(actual);
        float[] bulk = new float[ev.length];
        actual.dequantize(0, bulk, 0, bulk.length);
        for (int i = 0; i < ev.length; i++) {
            boolean same = tolerance == 0 ? Float.compare(ev[i], av[i]) == 0 : Math.abs(ev[i] - av[i]) <= tolerance;
            if (!same) {
                throw new AssertionError(name + "[" + i + "]: expected " + ev[i] + ", found " + av[i]
                        + (tolerance == 0 ? "" : " (tolerance " + tolerance + ")"));
            }
            if (Float.compare(av[i], bulk[i]) != 0) {
                throw new AssertionError(name + "[" + i + "]: getFloat gives " + av[i] + " but dequantize gives " + bulk[i]);
            }
        }
    }
}
