package io.llama2j.model;

/**
 * The scratch of one forward call: the activations of up to {@link #capacity} rows (tokens)
 * passing through the layers together, and which sequence and position each row belongs to.
 * A prompt batch's rows are one sequence's consecutive positions ({@link InferenceState}); a
 * decode step's rows are the next positions of different sequences ({@link DecodeBatch}).
 * The layers read the same way in both cases; only attention looks up each row's own KV cache.
 */
final class Activations {

    final int capacity;
    /** (capacity, dim) residual stream */
    final float[] x;
    /** (capacity, dim) normalized input of a sub-layer */
    final float[] xb;
    /** (capacity, dim) attention output before wo; also a sub-layer output added to x */
    final float[] xb2;
    /** (capacity, dim) queries */
    final float[] q;
    /** (capacity, kvDim) keys of the rows' tokens */
    final float[] k;
    /** (capacity, kvDim) values of the rows' tokens */
    final float[] v;
    /** (capacity, hiddenDim) w1 x, then silu(w1 x) * w3 x */
    final float[] hb;
    /** (capacity, hiddenDim) w3 x */
    final float[] hb2;
    /** q, k and v, the outputs of one fused product ({@code Llama.products}) */
    final float[][] queryKeyValue;
    /** hb and hb2, the outputs of one fused product */
    final float[][] gateUp;
    /** (headSize / 2) RoPE rotation of the current position */
    final float[] ropeCos;
    final float[] ropeSin;
    /** (capacity) the sequence whose KV cache row t is written to and attends over */
    final InferenceState[] rowSequence;
    /** (capacity) the position of row t in its sequence */
    final int[] rowPosition;

    Activations(LlamaConfig config, int capacity) {
        int dim = config.dim(), kvDim = config.kvDim(), hidden = config.hiddenDim();
        this.capacity = capacity;
        this.x = new float[capacity * dim];
        this.xb = new float[capacity * dim];
        this.xb2 = new float[capacity * dim];
        this.q = new float[capacity * dim];
        this.k = new float[capacity * kvDim];
        this.v = new float[capacity * kvDim];
        this.hb = new float[capacity * hidden];
        this.hb2 = new float[capacity * hidden];
        this.queryKeyValue = new float[][]{q, k, v};
        this.gateUp = new float[][]{hb, hb2};
        this.ropeCos = new float[config.headSize() / 2];
        this.ropeSin = new float[config.headSize() / 2];
        this.rowSequence = new InferenceState[capacity];
        this.rowPosition = new int[capacity];
    }

    /** Rows [0, count) become {@code sequence}'s positions first, first + 1, ... (a prompt batch). */
    void assignConsecutive(InferenceState sequence, int first, int count) {
        for (int t = 0; t < count; t++) {
            rowSequence[t] = sequence;
            rowPosition[t] = first + t;
        }
    }

    /** Forgets the row owners, so a scratch kept for reuse does not hold finished sequences alive. */
    void clearRows(int count) {
        java.util.Arrays.fill(rowSequence, 0, count, null);
    }
}
