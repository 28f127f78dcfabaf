package io.llama2j.spark.score;

import java.io.Serializable;

/**
 * Settings of a reward-scoring job, shipped to every executor.
 *
 * @param rewardModel    a {@code reward-train} output folder (checkpoint.bin, reward-head.bin), at
 *                       this path on every executor (a shared or replicated file system)
 * @param tokenizer      the tokenizer of the reward model's base model, as {@code reward-score -z}
 * @param threadsPerTask threads inside one Spark task (Spark already runs a task per core)
 */
public record ScoringJobSettings(String rewardModel, String tokenizer, int threadsPerTask) implements Serializable {
    public static final int DEFAULT_THREADS_PER_TASK = 1;

    public ScoringJobSettings {
        if (rewardModel == null || rewardModel.isBlank()) throw new IllegalArgumentException("a reward model folder is required");
        if (tokenizer == null || tokenizer.isBlank()) throw new IllegalArgumentException("the reward model's tokenizer is required");
        if (threadsPerTask < 1) throw new IllegalArgumentException("threads per task must be at least 1, found " + threadsPerTask);
    }
}
