package io.llama2j.train.kernels;

import io.llama2j.tensor.Exp;
import io.llama2j.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Next-token cross-entropy over rows of logits with a per-token loss mask, fused with its
 * gradient: loss_t = logsumexp(z_t) − z_t[target_t]; ∂loss_t/∂z_t = softmax(z_t) − onehot(target_t).
 * Masked-out tokens (mask 0: prompt tokens in SFT, padding) contribute neither loss nor gradient.
 *
 * <p>The training path ({@link #forwardBackward}) is vectorized: over a 32,000-token vocabulary
 * the exponentials cost as much as a layer's matrix products when computed one Math.exp at a
 * time. It uses {@link Exp}'s polynomial (exact operations only) and sums the exponentials in
 * fixed-order blocks, so its results do not depend on JIT state.
 */
public final class CrossEntropyOps {
    private CrossEntropyOps() {}

    /** Logits below which rows are not split across threads. */
    private static final int MIN_PARALLEL_ELEMENTS = 8192;

    /**
     * Replaces logits (rows, vocab) by scale · mask_t · ∂loss_t/∂z_t and returns Σ_t mask_t · loss_t.
     * {@code perToken} (rows), when not null, receives each token's unmasked loss.
     */
    public static double forwardBackward(Parallel parallel, float[] logits, int[] targets, float[] mask,
                                         int rows, int vocab, float scale, float[] perToken) {
        float[] losses = perToken != null ? perToken : new float[rows];
        parallel.forRange(rows, Math.max(1, MIN_PARALLEL_ELEMENTS / vocab), (first, end) -> {
            float[] lanes = new float[L];
            for (int t = first; t < end; t++) {
                int base = t * vocab;
                float max = rowMax(logits, base, vocab);
                float targetLogit = logits[base + targets[t]] - max;
                double sum = exponentiate(logits, base, vocab, max, lanes); // e_i = exp(z_i - max) kept in place
                losses[t] = (float) (Math.log(sum) - targetLogit); // logsumexp(z) - z_target, both shifted by max
                float weight = mask[t] * scale;
                float toProbability = (float) (weight / sum);
                int i = 0;
                for (; i + L <= vocab; i += L) FloatVector.fromArray(F, logits, base + i).mul(toProbability).intoArray(logits, base + i);
                for (; i < vocab; i++) logits[base + i] *= toProbability;
                logits[base + targets[t]] -= weight;
            }
        });
        double total = 0;
        for (int t = 0; t < rows; t++) total += (double) mask[t] * losses[t];
        return total;
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Exponentials summed in float lanes before the lanes are added (in lane order) to the row's double sum. */
    private static final int SUM_BLOCK = 64 * L;

    /** max_i z[base + i] for i < n (max is exact, so the order of the comparisons does not matter). */
    private static float rowMax(float[] z, int base, int n) {
        float max = Float.NEGATIVE_INFINITY;
        int i = 0;
        if (n >= L) {
            FloatVector m = FloatVector.fromArray(F, z, base);
            for (i = L; i + L <= n; i += L) m = m.max(FloatVector.fromArray(F, z, base + i));
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) max = Math.max(max, z[base + i]);
        return max;
    }

    /**
     * Replaces z[base + i] by exp(z[base + i] − max) for i < n ({@link Exp}, lane for lane) and
     * returns their sum: float lanes within blocks of {@link #SUM_BLOCK}, blocks added to a double
     * in order, lanes in lane order.
     */
    private static double exponentiate(float[] z, int base, int n, float max, float[] lanes) {
        double sum = 0;
        int i = 0;
        for (; i + L <= n; ) {
            int blockEnd = Math.min(n - L, i + SUM_BLOCK - L);
            FloatVector acc = FloatVector.zero(F);
            for (; i <= blockEnd; i += L) {
                FloatVector x = FloatVector.fromArray(F, z, base + i).sub(max);
                FloatVector e = Exp.exp(x);
                e.intoArray(z, base + i);
                acc = acc.add(e);
            }
            acc.intoArray(lanes, 0);
            for (int lane = 0; lane < L; lane++) sum += lanes[lane];
        }
        for (; i < n; i++) {
            float e = Exp.exp(z[base + i] - max);
            z[base + i] = e;
            sum += e;
        }
        return sum;
    }

    /** Σ_t mask_t · loss_t without a gradient (logits are left untouched). */
    public static double loss(float[] logits, int[] targets, float[] mask, int rows, int vocab) {
        double total = 0;
        for (int t = 0; t < rows; t++) {
            if (mask[t] == 0f) continue;
            int base = t * vocab;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < vocab; i++) max = Math.max(max, logits[base + i]);
            double sum = 0;
            for (int i = 0; i < vocab; i++) sum += Math.exp(logits[base + i] - max);
            total += mask[t] * (max + Math.log(sum) - logits[base + targets[t]]);
        }
        return total;
    }

    /** Every row's loss logsumexp(z_t) − z_t[target_t] into {@code out} (rows), mask ignored; logits untouched. */
    public static void tokenLosses(float[] logits, int[] targets, int rows, int vocab, float[] out) {
        for (int t = 0; t < rows; t++) {
            int base = t * vocab;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < vocab; i++) max = Math.max(max, logits[base + i]);
            double sum = 0;
            for (int i = 0; i < vocab; i++) sum += Math.exp(logits[base + i] - max);
            out[t] = (float) (max + Math.log(sum) - logits[base + targets[t]]);
        }
    }
}
