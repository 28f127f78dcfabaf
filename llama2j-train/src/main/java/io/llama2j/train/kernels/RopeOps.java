package io.llama2j.train.kernels;

import io.llama2j.model.Rope;

/**
 * Rotary embeddings for a batch of sequences, in Meta's interleaved layout (the core
 * {@link Rope}, so training and inference rotate identically), with the rotation angles of every
 * position computed once. A rotation is orthogonal, so its backward is the rotation by the
 * opposite angle: dx = R(−θ) dy.
 */
public final class RopeOps {
    private final Rope rope;
    private final int half;
    /** cos, sin and −sin of each position's angles: (seqLen, headSize / 2). */
    private final float[][] cos, sin, negativeSin;

    public RopeOps(int headSize, float theta, int seqLen) {
        this.rope = new Rope(headSize, theta);
        this.half = headSize / 2;
        this.cos = new float[seqLen][half];
        this.sin = new float[seqLen][half];
        this.negativeSin = new float[seqLen][half];
        for (int p = 0; p < seqLen; p++) {
            rope.angles(p, cos[p], sin[p]);
            for (int i = 0; i < half; i++) negativeSin[p][i] = -sin[p][i];
        }
    }

    /** Rotates v (rows, heads · headSize) in place; row t is at position t mod seqLen. */
    public void forward(float[] v, int rows, int heads) {
        int width = heads * half * 2, seqLen = cos.length;
        for (int t = 0; t < rows; t++) rope.rotate(v, t * width, heads, cos[t % seqLen], sin[t % seqLen]);
    }

    /** Turns the gradient dv (rows, heads · headSize) of rotated values into that of the values before rotation. */
    public void backward(float[] dv, int rows, int heads) {
        int width = heads * half * 2, seqLen = cos.length;
        for (int t = 0; t < rows; t++) rope.rotate(dv, t * width, heads, cos[t % seqLen], negativeSin[t % seqLen]);
    }
}
