package io.llama2j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * exp(x) for float32 x ≤ 0 from FMAs and a bit shift (Cephes expf: Moshier 1989, "Methods and
 * programs for mathematical functions"), one lane at a time ({@link #exp(float)}) or a vector's
 * lanes at once ({@link #exp(FloatVector)}), with the same operations and therefore the same
 * bits. The softmaxes (x = z − max z) and the SwiGLU gate's sigmoid (exp(−|g|)) use it.
 *
 * <p>Not {@code Math.exp} per value: in the forward pass of a 7B model that was 2.7 ms of every
 * token, serial, against 0.13 ms as vectors. Not {@code lanewise(EXP)}: its C2 intrinsic (SVML)
 * and its interpreted fallback (Math.exp per lane) differ in the last bit, so a result would
 * depend on when the JIT compiled the loop; FMAs, adds and integer shifts are exact in every
 * mode. Error: within 2 ulp of exp on [{@link #MIN_ARGUMENT}, 0], 0 below it.
 *
 * <pre>
 *   n = round(x / ln 2)                  (by adding and subtracting 1.5 · 2²³)
 *   r = x − n ln 2                       (ln 2 in two parts, Cody and Waite 1980), |r| ≤ ln 2 / 2
 *   exp(x) = 2ⁿ · (1 + r + r² P(r))      (P: Cephes' degree-5 minimax polynomial)
 * </pre>
 */
public final class Exp {
    private Exp() {}

    /**
     * Values below which the loops that use exp stay scalar. Until C2 compiles them, Vector API
     * code runs boxed, far slower than scalar code, and a small model's short rows never make
     * vectors pay for that: 40 tokens from the bundled 2.9M-parameter model ran at 52-64
     * tokens/s with every length vectorized, 65-93 with this threshold (interleaved runs). The
     * results are the same bits either way.
     */
    public static final int MIN_VECTOR_LENGTH = 256;

    /** Below this exp(x) is under the smallest normal float (2⁻¹²⁶); the result is 0. */
    public static final float MIN_ARGUMENT = -87.33654f;
    private static final float LOG2_E = 1.44269504088896341f;
    /** 1.5 · 2²³: adding it rounds a float of magnitude below 2²² to an integer, held in the low mantissa bits. */
    private static final float ROUNDING = 12582912f;
    private static final int ROUNDING_BITS = Float.floatToRawIntBits(ROUNDING);
    /** ln 2 = LN2_HIGH + LN2_LOW; LN2_HIGH has few mantissa bits, so n · LN2_HIGH is exact. */
    private static final float LN2_HIGH = 0.693359375f, LN2_LOW = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    private static final int EXPONENT_BIAS = 127, MANTISSA_BITS = 23;

    /** exp(x) for x ≤ 0. */
    public static float exp(float x) {
        if (x < MIN_ARGUMENT) return 0f;
        float t = Math.fma(x, LOG2_E, ROUNDING);
        float n = t - ROUNDING;
        float r = Math.fma(n, -LN2_HIGH, x);
        r = Math.fma(n, -LN2_LOW, r);
        float p = Math.fma(P0, r, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        float scale = Float.intBitsToFloat((Float.floatToRawIntBits(t) - ROUNDING_BITS + EXPONENT_BIAS) << MANTISSA_BITS);
        return y * scale;
    }

    /**
     * exp of each lane of x (lanes ≤ 0), bit for bit {@link #exp(float)} of that lane. Small
     * enough for C2 to inline into the short loops that call it (softmax, SwiGLU), unlike the
     * large quantized kernels, which avoid helpers that take vectors ({@link Vectors}).
     */
    public static FloatVector exp(FloatVector x) {
        FloatVector t = x.fma(LOG2_E, ROUNDING);
        FloatVector n = t.sub(ROUNDING);
        FloatVector r = n.fma(x.broadcast(-LN2_HIGH), x);
        r = n.fma(x.broadcast(-LN2_LOW), r);
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, x.broadcast(P2));
        p = p.fma(r, x.broadcast(P3));
        p = p.fma(r, x.broadcast(P4));
        p = p.fma(r, x.broadcast(P5));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        FloatVector scale = ((IntVector) t.viewAsIntegralLanes()).sub(ROUNDING_BITS).add(EXPONENT_BIAS)
                .lanewise(VectorOperators.LSHL, MANTISSA_BITS).viewAsFloatingLanes();
        return y.mul(scale).blend(0f, x.lt(MIN_ARGUMENT));
    }
}
