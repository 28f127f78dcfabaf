package io.llama2j.model;

/**
 * Root-mean-square layer normalization (Zhang and Sennrich 2019), as Llama 2 uses it before
 * attention, before the FFN and before the output projection:
 * out = x / sqrt(mean(x²) + eps) · weight.
 */
public final class RmsNorm {
    private RmsNorm() {}

    /** out[outOffset + i] = x[xOffset + i] / rms(x) · weight[i] for i in [0, weight.length). */
    public static void apply(float[] out, int outOffset, float[] x, int xOffset, float[] weight, float eps) {
        int n = weight.length;
        float sumOfSquares = 0f;
        for (int i = 0; i < n; i++) {
            float v = x[xOffset + i];
            sumOfSquares += v * v;
        }
        float scale = (float) (1.0 / Math.sqrt(sumOfSquares / n + eps));
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = weight[i] * (scale * x[xOffset + i]);
        }
    }
}
