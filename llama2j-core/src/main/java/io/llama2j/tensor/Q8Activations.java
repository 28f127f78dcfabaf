package io.llama2j.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.util.Arrays;

import static io.llama2j.tensor.Vectors.B;
import static io.llama2j.tensor.Vectors.F;
import static io.llama2j.tensor.Vectors.I;
import static io.llama2j.tensor.Vectors.L;

/**
 * An activation vector quantized to ggml Q8_0 blocks, as llama.cpp's CPU backend converts the
 * activations before every Q4_0 or Q8_0 matrix product (ggml-quants.c {@code quantize_row_q8_0};
 * the Q8_0 row of PROVENANCE.md's activation table): blocks of 32 values, d = amax / 127 rounded
 * to fp16, q = round-half-even(x · 127 / amax). The weight kernels then multiply integers
 * ({@link Q4_0PackedTensor#dotQ8}, {@link Q4_0Tensor#dotQ8}, {@link Q8_0Tensor#dotQ8}) and scale
 * once per block; the values are kept twice, in order and in the packed Q4_0 kernel's tile order.
 *
 * <p>The values are kept as bytes, and the kernels widen them to 16-bit lanes as they load them
 * (the Vector API has no 8-bit multiply-add). Kept widened to shorts, they saved the kernels that
 * widening but doubled the activations' share of the L1 cache: a 7B model's W2 row (11008 values,
 * 22 KB as shorts against a 32 KB L1) streamed from memory at half the speed of the other
 * matrices, and every product lost a third of its speed (see {@link #tiledValues}). A buffer is
 * reused from call to call and grows only when a longer vector comes: nothing is allocated per
 * token.
 */
public final class Q8Activations {
    /** Values per block (ggml QK8_0). */
    public static final int BLOCK = 32;
    /** Largest quantized magnitude: q ∈ [-127, 127]. */
    private static final float Q_MAX = 127f;
    /**
     * 1.5 · 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to the nearest
     * integer, ties to even (the default IEEE rounding does the work; the Vector API has no rint).
     */
    private static final float ROUNDING_MAGIC = 12582912f;

    byte[] values = new byte[0];
    /**
     * Per block: d, the fp16-rounded scale; zero past the last block up to a whole tile of
     * {@link Q4_0PackedTensor#TILE_BLOCKS}, so that the tile kernel's last vector reads zeros.
     */
    float[] scales = new float[0];
    /**
     * The values again, lined up with {@link Q4_0PackedTensor}'s lanes: per tile of 32 blocks,
     * value k of block b at k · 32 + {@link Q4_0PackedTensor#lane}(b) (zero in the blocks a last
     * tile lacks). Bytes, as the class comment explains: the tile kernel streamed 7B-shaped
     * matrices from memory at 15-30 GB/s with shorts here, at 24-46 GB/s with bytes (one and two
     * threads).
     */
    byte[] tiledValues = new byte[0];
    /**
     * Per block, in the same lane order: −8 · Σq modulo 2^16, the zero point's share of
     * Σ (nibble − 8) · q.
     */
    short[] tiledZeroPoints = new short[0];
    /** Per block: d · Σq (for the zero point of Q4_0: Σ(w − 8)·q = Σw·q − 8·Σq). */
    float[] scaledSums = new float[0];
    private int length;

    /** Number of values quantized by the last {@link #quantize}. */
    public int length() { return length; }

    /** Quantized value i (in [-127, 127]). */
    public int value(int i) { return values[i]; }

    /** The scale of block b. */
    public float scale(int b) { return scales[b]; }

    /**
     * Quantizes x[offset, offset + n) into this buffer, replacing what it held. n must be a
     * multiple of {@link #BLOCK}.
     */
    public Q8Activations quantize(float[] x, int offset, int n) {
        if (n % BLOCK != 0) throw new IllegalArgumentException("activation length " + n + " is not a multiple of " + BLOCK);
        int blocks = n / BLOCK;
        int paddedBlocks = Math.ceilDiv(blocks, Q4_0PackedTensor.TILE_BLOCKS) * Q4_0PackedTensor.TILE_BLOCKS;
        if (values.length < n || scales.length < paddedBlocks) {
            values = new byte[n];
            scales = new float[paddedBlocks];
            scaledSums = new float[blocks];
            tiledValues = new byte[paddedBlocks * BLOCK];
            tiledZeroPoints = new short[paddedBlocks];
        }
        length = n;
        // a shorter vector than the buffer's last leaves its blocks behind: the padding must read
        // zero (in the tiled copies the missing blocks' lanes are spread over the last tile)
        int lastTile = Math.max(0, paddedBlocks - Q4_0PackedTensor.TILE_BLOCKS);
        Arrays.fill(scales, blocks, paddedBlocks, 0f);
        Arrays.fill(tiledZeroPoints, lastTile, paddedBlocks, (short) 0);
        Arrays.fill(tiledValues, lastTile * BLOCK, paddedBlocks * BLOCK, (byte) 0);
        for (int b = 0; b < blocks; b++) {
            int at = offset + b * BLOCK;
            int qAt = b * BLOCK;
            float amax = 0f;
            if (Vectors.ENABLED) {
                FloatVector m = FloatVector.zero(F);
                for (int j = 0; j < BLOCK; j += L) m = m.max(FloatVector.fromArray(F, x, at + j).abs());
                amax = m.reduceLanes(VectorOperators.MAX); // max is exact in any order
            } else {
                for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(x[at + j]));
            }
            float d = amax / Q_MAX;
            float id = amax != 0f ? Q_MAX / amax : 0f;
            scales[b] = Float.float16ToFloat(Float.floatToFloat16(d));
            int sum = 0;
            if (Vectors.ENABLED) {
                for (int j = 0; j < BLOCK; j += L) {
                    IntVector q = (IntVector) FloatVector.fromArray(F, x, at + j).mul(id).add(ROUNDING_MAGIC).sub(ROUNDING_MAGIC)
                            .convert(VectorOperators.F2I, 0);
                    ((ByteVector) q.convertShape(VectorOperators.I2B, B, 0)).intoArray(values, qAt + j);
                    sum += q.reduceLanes(VectorOperators.ADD); // integer sum: exact in any order
                }
            } else {
                for (int j = 0; j < BLOCK; j++) {
                    int q = (int) Math.rint(x[at + j] * id);
                    values[qAt + j] = (byte) q;
                    sum += q;
                }
            }
            scaledSums[b] = scales[b] * sum;
            int lane = Q4_0PackedTensor.lane(b % Q4_0PackedTensor.TILE_BLOCKS);
            tiledZeroPoints[b - b % Q4_0PackedTensor.TILE_BLOCKS + lane] = (short) (-Q4_0Tensor.ZERO_POINT * sum);
            int tileAt = b / Q4_0PackedTensor.TILE_BLOCKS * Q4_0PackedTensor.TILE_VALUES + lane;
            for (int k = 0; k < BLOCK; k++) tiledValues[tileAt + k * Q4_0PackedTensor.TILE_BLOCKS] = values[qAt + k];
        }
        return this;
    }

    /**
     * Writes x[offset, offset + n) as these activations represent it (q · d per value) to
     * {@code out[outOffset..]}: what a float product sees of quantized activations, for prompt
     * batches, whose matrix-matrix kernel multiplies floats. q · d is exact in float32 (q has 8
     * bits, d 11), so the batch and the integer kernel differ only by float32 summation order.
     */
    public static void roundTrip(float[] x, int offset, int n, Q8Activations scratch, float[] out, int outOffset) {
        scratch.quantize(x, offset, n).dequantize(out, outOffset);
    }

    /** Writes the values these activations hold, q · d each, to out[outOffset, outOffset + length()). */
    public void dequantize(float[] out, int outOffset) {
        for (int i = 0; i < length; i++) out[outOffset + i] = values[i] * scales[i / BLOCK];
    }

    /**
     * Whether products with {@code w} quantize their activations at
     * {@link ActivationPrecision#QUANTIZED_8BIT}: Q4_0 and Q8_0 weights, in the file's layout or
     * packed.
     */
    public static boolean appliesTo(FloatTensor w) {
        return w instanceof Q4_0Tensor || w instanceof Q4_0PackedTensor || w instanceof Q8_0Tensor || w instanceof Q8_0PackedTensor;
    }

    /** The shape check of the kernels: float, int and short species of 16 lanes (AVX-512). */
    static boolean vectorKernels() {
        return Vectors.ENABLED && L == 16 && I.length() == 16;
    }
}
