package io.llama2j.spark.generate;

import io.llama2j.sampling.SamplerConfig;

import java.io.Serializable;
import java.util.List;

/**
 * Settings of a batch-generation job, shipped to every executor. Rows may override maxTokens,
 * temperature and seed (columns max_tokens, temperature, seed); everything else is per job.
 *
 * @param model          model file or folder, as {@code llama2j generate -m}; every executor must
 *                       see it at this path (a shared or replicated file system)
 * @param tokenizer      tokenizer file, or null for the model's own (as {@code -z})
 * @param maxTokens      new tokens per row unless the row says otherwise
 * @param temperature    sampling temperature unless the row says otherwise; 0 = greedy
 * @param topP           nucleus sampling, 1 = off
 * @param topK           keep the k most likely tokens, 0 = off
 * @param jobSeed        seed from which each row's seed is derived ({@link RowSeeds})
 * @param stopStrings    stop strings, as {@code llama2j generate --stop}
 * @param threadsPerTask matmul threads inside one Spark task (Spark's own parallelism is one
 *                       task per core, so 1 keeps the cores busy without oversubscription)
 * @param batch          rows a task decodes together, one batched forward per token
 *                       ({@code Llama.decodeStep}); each holds its own KV cache
 */
public record GenerationJobSettings(String model, String tokenizer, int maxTokens, float temperature, float topP, int topK,
                                    long jobSeed, List<String> stopStrings, int threadsPerTask, int batch) implements Serializable {

    /** As {@code llama2j generate}: 256 tokens. */
    public static final int DEFAULT_MAX_TOKENS = 256;
    /** As {@code llama2j generate} (llama2.c run.c): temperature 1.0, top-p 0.9. */
    public static final float DEFAULT_TEMPERATURE = 1.0f;
    public static final float DEFAULT_TOP_P = 0.9f;
    public static final int DEFAULT_THREADS_PER_TASK = 1;
    /** One row at a time, as `llama2j generate`; larger batches read the weights once for several rows. */
    public static final int DEFAULT_BATCH = 1;

    public GenerationJobSettings {
        if (model == null || model.isBlank()) throw new IllegalArgumentException("a model path is required");
        if (maxTokens < 0) throw new IllegalArgumentException("max tokens must be >= 0, found " + maxTokens);
        if (threadsPerTask < 1) throw new IllegalArgumentException("threads per task must be at least 1, found " + threadsPerTask);
        if (batch < 1) throw new IllegalArgumentException("the batch must hold at least 1 row, found " + batch);
        stopStrings = List.copyOf(stopStrings);
        // validates temperature, top-p and top-k now, on the driver
        new SamplerConfig(temperature, topK, topP, 0f, 1f, 0f, 0f, SamplerConfig.DEFAULT_PENALTY_LAST_N, jobSeed);
    }

    /** Settings that decode one row at a time ({@link #DEFAULT_BATCH}). */
    public GenerationJobSettings(String model, String tokenizer, int maxTokens, float temperature, float topP, int topK,
                                 long jobSeed, List<String> stopStrings, int threadsPerTask) {
        this(model, tokenizer, maxTokens, temperature, topP, topK, jobSeed, stopStrings, threadsPerTask, DEFAULT_BATCH);
    }

    /** Job defaults for {@code model}, with the given job seed. */
    public static GenerationJobSettings defaults(String model, long jobSeed) {
        return new GenerationJobSettings(model, null, DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, DEFAULT_TOP_P, 0, jobSeed,
                List.of(), DEFAULT_THREADS_PER_TASK, DEFAULT_BATCH);
    }

    /** The sampler for one row: this job's filters with the row's temperature and seed. */
    public SamplerConfig samplerConfig(float rowTemperature, long rowSeed) {
        return new SamplerConfig(rowTemperature, topK, topP, 0f, 1f, 0f, 0f, SamplerConfig.DEFAULT_PENALTY_LAST_N, rowSeed);
    }

    public GenerationJobSettings withMaxTokens(int n) {
        return new GenerationJobSettings(model, tokenizer, n, temperature, topP, topK, jobSeed, stopStrings, threadsPerTask, batch);
    }

    public GenerationJobSettings withTemperature(float t) {
        return new GenerationJobSettings(model, tokenizer, maxTokens, t, topP, topK, jobSeed, stopStrings, threadsPerTask, batch);
    }

    public GenerationJobSettings withBatch(int rows) {
        return new GenerationJobSettings(model, tokenizer, maxTokens, temperature, topP, topK, jobSeed, stopStrings, threadsPerTask, rows);
    }
}
