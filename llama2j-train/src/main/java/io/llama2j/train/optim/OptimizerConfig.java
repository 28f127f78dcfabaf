package io.llama2j.train.optim;

/**
 * The optimizer recipe of Llama 2 pretraining (Touvron et al. 2023 §2.2, "Training Details"):
 * AdamW (Loshchilov and Hutter 2019) with β1 = 0.9, β2 = 0.95, eps = 1e-5, weight decay 0.1,
 * gradient clipping at global norm 1.0, a cosine learning-rate schedule with linear warmup that
 * decays to 10% of the peak, and peak LR 3e-4 (7B and 13B). The paper warms up for 2000 steps of
 * 4M-token batches; {@link #DEFAULT_WARMUP_STEPS} is scaled for short CPU runs and overridable.
 * Weight decay applies to matrices and embeddings, not to RMSNorm gains (see ModelParameters).
 *
 * @param peakLearningRate   LR at the end of warmup
 * @param warmupSteps        steps of linear warmup from 0 (the first step uses peak / warmup)
 * @param minLearningRateRatio the final LR as a fraction of the peak
 * @param beta1              AdamW first-moment decay
 * @param beta2              AdamW second-moment decay
 * @param epsilon            AdamW denominator epsilon
 * @param weightDecay        decoupled weight decay (multiplied by the LR)
 * @param gradientClip       maximum global L2 norm of the gradient; 0 or less disables clipping
 */
public record OptimizerConfig(double peakLearningRate, int warmupSteps, double minLearningRateRatio,
                              double beta1, double beta2, double epsilon, double weightDecay, double gradientClip) {
    public static final double PAPER_PEAK_LR = 3e-4;
    public static final int DEFAULT_WARMUP_STEPS = 100;
    public static final double PAPER_MIN_LR_RATIO = 0.1;
    public static final double PAPER_BETA1 = 0.9;
    public static final double PAPER_BETA2 = 0.95;
    public static final double PAPER_EPSILON = 1e-5;
    public static final double PAPER_WEIGHT_DECAY = 0.1;
    public static final double PAPER_GRADIENT_CLIP = 1.0;

    public OptimizerConfig {
        if (!(peakLearningRate > 0)) throw new IllegalArgumentException("learning rate must be positive, found " + peakLearningRate);
        if (warmupSteps < 0) throw new IllegalArgumentException("warmup steps must be >= 0, found " + warmupSteps);
        if (!(minLearningRateRatio >= 0 && minLearningRateRatio <= 1)) {
            throw new IllegalArgumentException("min LR ratio must be in [0, 1], found " + minLearningRateRatio);
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("AdamW betas must be in [0, 1), found " + beta1 + ", " + beta2);
        }
        if (!(epsilon > 0)) throw new IllegalArgumentException("AdamW epsilon must be positive, found " + epsilon);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be >= 0, found " + weightDecay);
    }

    /** The paper's recipe. */
    public static OptimizerConfig paper() {
        return new OptimizerConfig(PAPER_PEAK_LR, DEFAULT_WARMUP_STEPS, PAPER_MIN_LR_RATIO, PAPER_BETA1, PAPER_BETA2,
                PAPER_EPSILON, PAPER_WEIGHT_DECAY, PAPER_GRADIENT_CLIP);
    }

    public OptimizerConfig withPeakLearningRate(double lr) {
        return new OptimizerConfig(lr, warmupSteps, minLearningRateRatio, beta1, beta2, epsilon, weightDecay, gradientClip);
    }

    public OptimizerConfig withWarmupSteps(int steps) {
        return new OptimizerConfig(peakLearningRate, steps, minLearningRateRatio, beta1, beta2, epsilon, weightDecay, gradientClip);
    }

    public OptimizerConfig withWeightDecay(double decay) {
        return new OptimizerConfig(peakLearningRate, warmupSteps, minLearningRateRatio, beta1, beta2, epsilon, decay, gradientClip);
    }

    public OptimizerConfig withGradientClip(double clip) {
        return new OptimizerConfig(peakLearningRate, warmupSteps, minLearningRateRatio, beta1, beta2, epsilon, weightDecay, clip);
    }

    public OptimizerConfig withMinLearningRateRatio(double ratio) {
        return new OptimizerConfig(peakLearningRate, warmupSteps, ratio, beta1, beta2, epsilon, weightDecay, gradientClip);
    }
}
