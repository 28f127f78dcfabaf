package io.llama2j.train.kernels;

import io.llama2j.tensor.Parallel;

/**
 * Next-token cross-entropy over rows of logits with a per-token loss mask, fused with its
 * gradient: loss_t = logsumexp(z_t) − z_t[target_t]; ∂loss_t/∂z_t = softmax(z_t) − onehot(target_t).
 * Masked-out tokens (mask 0: prompt tokens in SFT, padding) contribute neither loss nor gradient.
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
            for (int t = first; t < end; t++) {
                int base = t * vocab;
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < vocab; i++) max = Math.max(max, logits[base + i]);
                float targetLogit = logits[base + targets[t]] - max;
                double sum = 0;
                for (int i = 0; i < vocab; i++) { // one exp per logit: e_i = exp(z_i - max) kept in place
                    float e = (float) Math.exp(logits[base + i] - max);
                    logits[base + i] = e;
                    sum += e;
                }
                losses[t] = (float) (Math.log(sum) - targetLogit); // logsumexp(z) - z_target, both shifted by max
                float weight = mask[t] * scale;
                float toProbability = (float) (weight / sum);
                for (int i = 0; i < vocab; i++) logits[base + i] *= toProbability;
                logits[base + targets[t]] -= weight;
            }
        });
        double total = 0;
        for (int t = 0; t < rows; t++) total += (double) mask[t] * losses[t];
        return total;
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
