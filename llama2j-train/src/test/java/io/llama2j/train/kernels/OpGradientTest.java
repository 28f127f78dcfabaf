package io.llama2j.train.kernels;

import io.llama2j.tensor.Gemm;
import io.llama2j.tensor.Parallel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import static io.llama2j.train.kernels.FiniteDifferences.*;

/**
 * Every op's hand-written backward agrees with central finite differences of its forward (see
 * {@link FiniteDifferences} for the precision argument). Each test builds the scalar
 * f = Σ dy ⊙ op(x) for a random dy, whose gradient is what the backward computes from dy.
 */
class OpGradientTest {
    private static final Parallel PARALLEL = new Parallel(2);
    private final SplittableRandom random = new SplittableRandom(42);

    @AfterAll
    static void close() { PARALLEL.close(); }

    @Test
    void linearLayerGradientsOfInputAndWeightMatchFiniteDifferences() {
        int tokens = 7, in = 19, out = 13; // not multiples of any tile
        float[] x = gaussian(tokens * in, 1, random), w = gaussian(out * in, 0.5, random), dy = gaussian(tokens * out, 1, random);
        DoubleSupplier f = () -> {
            float[] wt = new float[in * out], y = new float[tokens * out];
            Gemm.transpose(PARALLEL, w, 0, wt, 0, out, in);
            Gemm.multiply(PARALLEL, x, 0, false, wt, 0, y, 0, tokens, out, in, false);
            return dot(dy, y);
        };
        float[] dx = new float[tokens * in], dw = new float[out * in];
        Gemm.multiply(PARALLEL, dy, 0, false, w, 0, dx, 0, tokens, in, out, false);
        Gemm.multiply(PARALLEL, dy, 0, true, x, 0, dw, 0, out, in, tokens, true);
        checkElements("linear dX", x, 0, x.length, dx, 0, f, x.length, 1);
        checkElements("linear dW", w, 0, w.length, dw, 0, f, w.length, 2);
    }

    @Test
    void rmsNormGradientsOfInputAndGainMatchFiniteDifferences() {
        int rows = 5, dim = 12;
        float eps = 1e-5f;
        float[] x = gaussian(rows * dim, 1, random), w = gaussian(dim, 0.3, random), dy = gaussian(rows * dim, 1, random);
        for (int i = 0; i < dim; i++) w[i] += 1f;
        DoubleSupplier f = () -> {
            float[] y = new float[rows * dim];
            RmsNormOps.forward(PARALLEL, y, x, new float[rows], w, 0, rows, dim, eps);
            return dot(dy, y);
        };
        float[] r = new float[rows], dx = new float[rows * dim], dw = new float[dim];
        RmsNormOps.forward(PARALLEL, new float[rows * dim], x, r, w, 0, rows, dim, eps);
        RmsNormOps.backward(PARALLEL, dx, dw, 0, dy, x, r, w, 0, rows, dim);
        checkElements("rmsnorm dx", x, 0, x.length, dx, 0, f, x.length, 3);
        checkElements("rmsnorm dw", w, 0, w.length, dw, 0, f, w.length, 4);
    }

    @Test
    void ropeBackwardIsTheTransposeOfTheRotationWithConfiguredTheta() {
        int rows = 6, heads = 3, headSize = 8;
        RopeOps rope = new RopeOps(headSize, 500f, 3); // rows wrap around the sequence length
        float[] x = gaussian(rows * heads * headSize, 1, random), dy = gaussian(x.length, 1, random);
        DoubleSupplier f = () -> {
            float[] y = x.clone();
            rope.forward(y, rows, heads);
            return dot(dy, y);
        };
        float[] dx = dy.clone();
        rope.backward(dx, rows, heads);
        checkElements("rope dx", x, 0, x.length, dx, 0, f, x.length, 5);
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "head size {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {6, 24, 48}) // per-row loops: scalars, 16- and 8-lane vectors; 48: Gemm products
    void causalGroupedQueryAttentionGradientsMatchFiniteDifferences(int headSize) {
        int batch = 2, seq = 5, heads = 4, kvHeads = 2;
        AttentionOps attention = new AttentionOps(batch, seq, heads, kvHeads, headSize);
        int n = batch * seq;
        float[] q = gaussian(n * heads * headSize, 1, random), k = gaussian(n * kvHeads * headSize, 1, random),
                v = gaussian(n * kvHeads * headSize, 1, random), dy = gaussian(n * heads * headSize, 1, random);
        float[] p = new float[(int) attention.probabilitiesSize()];
        DoubleSupplier f = () -> {
            float[] out = new float[dy.length];
            attention.forward(PARALLEL, out, new float[p.length], q, k, v);
            return dot(dy, out);
        };
        float[] out = new float[dy.length], dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
        attention.forward(PARALLEL, out, p, q, k, v);
        attention.backward(PARALLEL, dq, dk, dv, dy, p, q, k, v);
        checkElements("attention dq", q, 0, q.length, dq, 0, f, 60, 6);
        checkElements("attention dk", k, 0, k.length, dk, 0, f, 60, 7);
        checkElements("attention dv", v, 0, v.length, dv, 0, f, 60, 8);
    }

    @Test
    void swiGluGradientsOfGateAndUpMatchFiniteDifferences() {
        int n = 40;
        float[] g = gaussian(n, 2, random), u = gaussian(n, 1, random), dy = gaussian(n, 1, random);
        DoubleSupplier f = () -> {
            float[] h = new float[n];
            SwiGluOps.forward(PARALLEL, h, g, u, n);
            return dot(dy, h);
        };
        float[] dg = new float[n], du = new float[n];
        SwiGluOps.backward(PARALLEL, dg, du, dy, g, u, n);
        checkElements("swiglu dg", g, 0, n, dg, 0, f, n, 9);
        checkElements("swiglu du", u, 0, n, du, 0, f, n, 10);
    }

    @Test
    void maskedCrossEntropyGradientMatchesFiniteDifferencesAndIgnoresMaskedTokens() {
        int rows = 4, vocab = 9;
        float[] logits = gaussian(rows * vocab, 2, random);
        int[] targets = {3, 0, 8, 5};
        float[] mask = {1, 0, 1, 1};
        float scale = 1f / 3;
        DoubleSupplier f = () -> scale * CrossEntropyOps.loss(logits, targets, mask, rows, vocab);
        float[] gradient = logits.clone();
        CrossEntropyOps.forwardBackward(PARALLEL, gradient, targets, mask, rows, vocab, scale, null);
        checkElements("cross-entropy dlogits", logits, 0, logits.length, gradient, 0, f, logits.length, 11);
        for (int i = vocab; i < 2 * vocab; i++) org.assertj.core.api.Assertions.assertThat(gradient[i]).isZero();
    }

    @Test
    void gemmMatchesTheDefinitionForEveryLayoutAndEdgeShape() {
        for (int[] shape : new int[][]{{1, 1, 1}, {5, 17, 3}, {4, 48, 300}, {67, 100, 9}, {130, 50, 513}}) {
            int m = shape[0], n = shape[1], k = shape[2];
            float[] a = gaussian(m * k, 1, random), b = gaussian(k * n, 1, random), c0 = gaussian(m * n, 1, random);
            float[] at = new float[k * m];
            Gemm.transpose(PARALLEL, a, 0, at, 0, m, k);
            for (boolean transposed : new boolean[]{false, true}) {
                for (boolean accumulate : new boolean[]{false, true}) {
                    float[] c = c0.clone();
                    Gemm.multiply(PARALLEL, transposed ? at : a, 0, transposed, b, 0, c, 0, m, n, k, accumulate);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double expected = accumulate ? c0[i * n + j] : 0;
                            for (int kk = 0; kk < k; kk++) expected += (double) a[i * k + kk] * b[kk * n + j];
                            org.assertj.core.api.Assertions.assertThat((double) c[i * n + j])
                                    .as("C[%d,%d] of %dx%dx%d transposed=%s accumulate=%s", i, j, m, n, k, transposed, accumulate)
                                    .isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-4 * Math.sqrt(k) + 1e-5));
                        }
                    }
                }
            }
        }
    }
}
