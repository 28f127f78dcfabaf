package io.llama2j.train.optim;

/**
 * Llama 2's learning-rate schedule as a pure function of the step (paper §2.2): linear warmup
 * to the peak, then cosine decay to minRatio · peak at the last step.
 * <pre>
 *   lr(s) = peak · (s + 1) / warmup                                   s < warmup
 *   lr(s) = min + (peak − min) · ½ (1 + cos(π · min(1, (s − warmup) / (total − 1 − warmup))))   otherwise
 * </pre>
 */
public final class LearningRateSchedule {
    private LearningRateSchedule() {}

    /** The LR of step {@code step} (0-based) in a run of {@code totalSteps} steps. */
    public static double learningRate(OptimizerConfig c, int step, int totalSteps) {
        double peak = c.peakLearningRate(), min = peak * c.minLearningRateRatio();
        int warmup = Math.min(c.warmupSteps(), Math.max(0, totalSteps - 1));
        if (step < warmup) return peak * (step + 1) / warmup;
        int decaySteps = Math.max(1, totalSteps - 1 - warmup);
        double progress = Math.min(1.0, (double) (step - warmup) / decaySteps);
        return min + (peak - min) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
