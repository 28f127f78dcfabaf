package io.llama2j.train.kernels;

import io.llama2j.tensor.Parallel;

/**
 * The SwiGLU gate (Shazeer 2020) elementwise: h = silu(g) ⊙ u with silu(g) = g · σ(g), and its
 * backward: du = dh ⊙ silu(g), dg = dh ⊙ u ⊙ σ(g) (1 + g (1 − σ(g))).
 */
public final class SwiGluOps {
    private SwiGluOps() {}

    private static final int MIN_CHUNK = 1 << 14;

    public static void forward(Parallel parallel, float[] h, float[] g, float[] u, int n) {
        parallel.forRange(n, MIN_CHUNK, (first, end) -> {
            for (int i = first; i < end; i++) {
                float sigmoid = (float) (1.0 / (1.0 + Math.exp(-g[i])));
                h[i] = g[i] * sigmoid * u[i];
            }
        });
    }

    /** Writes dg and du (overwritten) from dh. */
    public static void backward(Parallel parallel, float[] dg, float[] du, float[] dh, float[] g, float[] u, int n) {
        parallel.forRange(n, MIN_CHUNK, (first, end) -> {
            for (int i = first; i < end; i++) {
                float sigmoid = (float) (1.0 / (1.0 + Math.exp(-g[i])));
                float silu = g[i] * sigmoid;
                du[i] = dh[i] * silu;
                dg[i] = dh[i] * u[i] * sigmoid * (1f + g[i] * (1f - sigmoid));
            }
        });
    }
}
