package io.llama2j.train.kernels;

import io.llama2j.tensor.Parallel;

/**
 * RMSNorm over rows of x (Zhang and Sennrich 2019): y = w ⊙ x · r with r = 1/√(mean(x²) + eps),
 * and its backward. With g = w ⊙ dy:
 * <pre>
 *   dx = r · g − r³ / D · x · Σ_j g_j x_j          dw += Σ_rows dy ⊙ x · r
 * </pre>
 */
public final class RmsNormOps {
    private RmsNormOps() {}

    /** Elements (rows × dim) below which rows are not split across threads. */
    private static final int MIN_PARALLEL_ELEMENTS = 4096;

    /** y[t, :] = w ⊙ x[t, :] · r[t] for t < rows; r (rows) is kept for the backward. */
    public static void forward(Parallel parallel, float[] y, float[] x, float[] r, float[] w, int wOff,
                               int rows, int dim, float eps) {
        parallel.forRange(rows, Math.max(1, MIN_PARALLEL_ELEMENTS / dim), (first, end) -> {
            for (int t = first; t < end; t++) {
                int base = t * dim;
                float sumOfSquares = 0f;
                for (int i = 0; i < dim; i++) sumOfSquares += x[base + i] * x[base + i];
                float rstd = (float) (1.0 / Math.sqrt(sumOfSquares / dim + eps));
                r[t] = rstd;
                for (int i = 0; i < dim; i++) y[base + i] = w[wOff + i] * (rstd * x[base + i]);
            }
        });
    }

    /** dx[t, :] += ∂/∂x and dw[:] += ∂/∂w of Σ dy ⊙ y, for the forward that kept r. */
    public static void backward(Parallel parallel, float[] dx, float[] dw, int dwOff, float[] dy, float[] x,
                                float[] r, float[] w, int wOff, int rows, int dim) {
        parallel.forRange(rows, Math.max(1, MIN_PARALLEL_ELEMENTS / dim), (first, end) -> {
            for (int t = first; t < end; t++) {
                int base = t * dim;
                float rstd = r[t];
                float dot = 0f; // Σ_j w_j dy_j x_j
                for (int i = 0; i < dim; i++) dot += w[wOff + i] * dy[base + i] * x[base + i];
                float coefficient = rstd * rstd * rstd / dim * dot;
                for (int i = 0; i < dim; i++) {
                    dx[base + i] += rstd * w[wOff + i] * dy[base + i] - coefficient * x[base + i];
                }
            }
        });
        // The weight gradient sums over rows: one pass in row order (deterministic, D·rows work).
        for (int t = 0; t < rows; t++) {
            int base = t * dim;
            float rstd = r[t];
            for (int i = 0; i < dim; i++) dw[dwOff + i] += dy[base + i] * x[base + i] * rstd;
        }
    }
}
