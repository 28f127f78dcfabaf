package io.llama2j.train.kernels;

/**
 * exp(x) for float32 from FMAs and a bit shift (Cephes expf: Moshier 1989, "Methods and programs
 * for mathematical functions"), written once here as scalars and repeated lane for lane in the
 * vector loops that need it (softmax over the vocabulary). Not {@code lanewise(EXP)}: its C2
 * intrinsic (SVML) and its interpreted fallback (Math.exp per lane) differ in the last bit, so a
 * result would depend on when the JIT compiled the loop; FMAs, adds and integer shifts are exact
 * in every mode. Error: within 2 ulp of exp on [{@link #MIN_ARGUMENT}, 0], 0 below it (softmax
 * only needs x ≤ 0: x = z − max z).
 *
 * <pre>
 *   n = round(x / ln 2)                  (by adding and subtracting 1.5 · 2²³)
 *   r = x − n ln 2                       (ln 2 in two parts, Cody and Waite 1980), |r| ≤ ln 2 / 2
 *   exp(x) = 2ⁿ · (1 + r + r² P(r))      (P: Cephes' degree-5 minimax polynomial)
 * </pre>
 */
final class Exp {
    private Exp() {}

    /** Below this exp(x) is under the smallest normal float (2⁻¹²⁶); the result is 0. */
    static final float MIN_ARGUMENT = -87.33654f;
    static final float LOG2_E = 1.44269504088896341f;
    /** 1.5 · 2²³: adding it rounds a float of magnitude below 2²² to an integer, held in the low mantissa bits. */
    static final float ROUNDING = 12582912f;
    static final int ROUNDING_BITS = Float.floatToRawIntBits(ROUNDING);
    /** ln 2 = LN2_HIGH + LN2_LOW; LN2_HIGH has few mantissa bits, so n · LN2_HIGH is exact. */
    static final float LN2_HIGH = 0.693359375f, LN2_LOW = -2.12194440e-4f;
    static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    static final int EXPONENT_BIAS = 127, MANTISSA_BITS = 23;

    /** exp(x) for x ≤ 0, the operations of the vector loops one lane at a time. */
    static float exp(float x) {
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
}
