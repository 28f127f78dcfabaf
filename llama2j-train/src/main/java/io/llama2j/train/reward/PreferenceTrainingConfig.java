package io.llama2j.train.reward;

import io.llama2j.train.optim.OptimizerConfig;

/**
 * How a reward model (or DPO) trains on preference pairs. Defaults are the Llama 2 reward-model
 * recipe (§3.2.2): 1 epoch ("training longer can lead to over-fitting"), the pretraining
 * optimizer with peak LR 1e-5 (5e-6 for 70B), cosine down to 10%, warmup 3% of the steps with a
 * minimum of 5.
 *
 * @param epochs         passes over the training pairs
 * @param pairsPerBatch  pairs per optimizer step (paper: 512 pairs = 1024 rows)
 * @param seqLen         tokens per row; longer pairs are refused when the data is read
 * @param evalEvery      steps between held-out evaluations (0: only at the end)
 * @param warmupFraction warmup as a fraction of all steps
 * @param minWarmupSteps warmup at least this many steps (capped by the run's length)
 * @param saveEvery      steps between checkpoints (0: only at the end and on interruption)
 * @param seed           order of the pairs
 * @param optimizer      AdamW and schedule (its warmupSteps is replaced by the fraction rule)
 */
public record PreferenceTrainingConfig(int epochs, int pairsPerBatch, int seqLen, int evalEvery, double warmupFraction,
                                       int minWarmupSteps, int saveEvery, long seed, OptimizerConfig optimizer) {
    public static final int PAPER_EPOCHS = 1;
    public static final int PAPER_PAIRS_PER_BATCH = 512;
    public static final double PAPER_REWARD_LR = 1e-5;
    public static final double PAPER_WARMUP_FRACTION = 0.03;
    public static final int PAPER_MIN_WARMUP_STEPS = 5;

    public PreferenceTrainingConfig {
        if (epochs <= 0) throw new IllegalArgumentException("epochs must be positive, found " + epochs);
        if (pairsPerBatch <= 0) throw new IllegalArgumentException("pairs per batch must be positive, found " + pairsPerBatch);
        if (seqLen < 2) throw new IllegalArgumentException("sequence length must be at least 2, found " + seqLen);
        if (evalEvery < 0) throw new IllegalArgumentException("eval-every must be >= 0, found " + evalEvery);
        if (!(warmupFraction >= 0 && warmupFraction < 1)) {
            throw new IllegalArgumentException("warmup fraction must be in [0, 1), found " + warmupFraction);
        }
        if (saveEvery < 0) throw new IllegalArgumentException("save-every must be >= 0, found " + saveEvery);
        if (minWarmupSteps < 0) throw new IllegalArgumentException("minimum warmup must be >= 0, found " + minWarmupSteps);
        if (optimizer == null) throw new IllegalArgumentException("optimizer config is required");
    }

    /** The paper's reward-model recipe for a batch and sequence size that fit the machine. */
    public static PreferenceTrainingConfig paper(int pairsPerBatch, int seqLen) {
        return new PreferenceTrainingConfig(PAPER_EPOCHS, pairsPerBatch, seqLen, 0, PAPER_WARMUP_FRACTION,
                PAPER_MIN_WARMUP_STEPS, 0, 1337, OptimizerConfig.paper().withPeakLearningRate(PAPER_REWARD_LR));
    }

    /** Warmup steps of a run of {@code totalSteps}: max(min, ⌈fraction · total⌉), at most total − 1. */
    public int warmupSteps(int totalSteps) {
        int warmup = Math.max(minWarmupSteps, (int) Math.ceil(warmupFraction * totalSteps));
        return Math.min(warmup, Math.max(0, totalSteps - 1));
    }

    public PreferenceTrainingConfig withOptimizer(OptimizerConfig o) {
        return new PreferenceTrainingConfig(epochs, pairsPerBatch, seqLen, evalEvery, warmupFraction, minWarmupSteps, saveEvery, seed, o);
    }

    public PreferenceTrainingConfig withEpochs(int e) {
        return new PreferenceTrainingConfig(e, pairsPerBatch, seqLen, evalEvery, warmupFraction, minWarmupSteps, saveEvery, seed, optimizer);
    }

    public PreferenceTrainingConfig withSaveEvery(int every) {
        return new PreferenceTrainingConfig(epochs, pairsPerBatch, seqLen, evalEvery, warmupFraction, minWarmupSteps, every, seed, optimizer);
    }

    public PreferenceTrainingConfig withEvalEvery(int every) {
        return new PreferenceTrainingConfig(epochs, pairsPerBatch, seqLen, every, warmupFraction, minWarmupSteps, saveEvery, seed, optimizer);
    }
}
