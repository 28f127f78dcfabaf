package io.llama2j.model;

/**
 * Rotary position embedding (Su et al. 2021, RoFormer) in Meta's layout: within each head, the
 * interleaved pair (x[2i], x[2i+1]) is rotated by the angle pos · θ^(-2i/headSize), θ = the
 * config's ropeTheta (10000 for Llama 2, 1e6 for Code Llama). Meta's model.py
 * apply_rotary_emb; llama.cpp's "normal" (non-NeoX) mode.
 */
public final class Rope {
    private final int headSize;
    /** θ^(-2i/headSize) for each pair i: (headSize / 2). */
    private final double[] frequencies;

    public Rope(int headSize, float theta) {
        this.headSize = headSize;
        this.frequencies = new double[headSize / 2];
        for (int i = 0; i < frequencies.length; i++) {
            frequencies[i] = Math.pow(theta, -(2.0 * i) / headSize);
        }
    }

    /** Fills cos[i] and sin[i] (each headSize / 2) with the rotation of pair i at {@code position}. */
    public void angles(int position, float[] cos, float[] sin) {
        for (int i = 0; i < frequencies.length; i++) {
            double angle = position * frequencies[i];
            cos[i] = (float) Math.cos(angle);
            sin[i] = (float) Math.sin(angle);
        }
    }

    /** Rotates {@code heads} consecutive heads of v starting at {@code offset}, with angles from {@link #angles}. */
    public void rotate(float[] v, int offset, int heads, float[] cos, float[] sin) {
        for (int h = 0; h < heads; h++) {
            int base = offset + h * headSize;
            for (int i = 0; i < frequencies.length; i++) {
                float x0 = v[base + 2 * i];
                float x1 = v[base + 2 * i + 1];
                v[base + 2 * i] = x0 * cos[i] - x1 * sin[i];
                v[base + 2 * i + 1] = x0 * sin[i] + x1 * cos[i];
            }
        }
    }
}
