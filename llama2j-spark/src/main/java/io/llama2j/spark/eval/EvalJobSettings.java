package io.llama2j.spark.eval;

import io.llama2j.eval.EvalSettings;
import io.llama2j.eval.TaskFormat;

import java.io.Serializable;

/**
 * Settings of a sharded evaluation, shipped to every executor: the task file's text travels
 * with the job (tasks are small), the model must be at the same path on every executor.
 *
 * @param model          model file or folder, as {@code llama2j eval -m}
 * @param tokenizer      tokenizer file, or null for the model's own (as {@code -z})
 * @param taskName       the task's name in the report (its file name, as {@code llama2j eval})
 * @param taskText       the task file's content
 * @param format         the task format, or AUTO to detect it as {@code llama2j eval --format auto}
 * @param shots          as {@link EvalSettings#shots()}
 * @param limit          as {@link EvalSettings#limit()}
 * @param seed           as {@link EvalSettings#seed()}
 * @param addBos         as {@link EvalSettings#addBos()}
 * @param maxNewTokens   as {@link EvalSettings#maxNewTokens()}
 * @param threadsPerTask matmul threads inside one Spark task (Spark already runs a task per core)
 */
public record EvalJobSettings(String model, String tokenizer, String taskName, String taskText, TaskFormat format, int shots, int limit,
                              long seed, boolean addBos, int maxNewTokens, int threadsPerTask) implements Serializable {
    public static final int DEFAULT_THREADS_PER_TASK = 1;

    public EvalJobSettings {
        if (model == null || model.isBlank()) throw new IllegalArgumentException("a model path is required");
        if (threadsPerTask < 1) throw new IllegalArgumentException("threads per task must be at least 1, found " + threadsPerTask);
        evalSettings(shots, limit, seed, addBos, maxNewTokens); // validates on the driver
    }

    /** The settings of {@code llama2j eval} with the same options. */
    public EvalSettings evalSettings() {
        return evalSettings(shots, limit, seed, addBos, maxNewTokens);
    }

    private static EvalSettings evalSettings(int shots, int limit, long seed, boolean addBos, int maxNewTokens) {
        return new EvalSettings(shots, limit, seed, addBos, io.llama2j.model.InferenceState.DEFAULT_PROMPT_BATCH, maxNewTokens);
    }
}
