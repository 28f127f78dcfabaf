package io.llama2j.eval;

/**
 * How a task is run.
 *
 * @param shots         solved examples put before each question (drawn from the other items of
 *                      the same file); 0 for zero-shot
 * @param limit         items evaluated at most (the first ones), or {@link #ALL_ITEMS}
 * @param seed          seed for choosing the few-shot examples (lm-evaluation-harness uses 1234)
 * @param addBos        start every prompt with BOS, as Llama 2 saw documents in training
 * @param batchSize     prompt tokens run through the model together (speed only)
 * @param maxNewTokens  generation tasks: tokens generated at most per answer (the harness's
 *                      gsm8k default is 256)
 */
public record EvalSettings(int shots, int limit, long seed, boolean addBos, int batchSize, int maxNewTokens) {

    public static final int ALL_ITEMS = -1;
    public static final long DEFAULT_SEED = 1234;
    public static final int DEFAULT_MAX_NEW_TOKENS = 256;

    public EvalSettings {
        if (shots < 0) throw new IllegalArgumentException("shots must be >= 0, found " + shots);
        if (limit < 1 && limit != ALL_ITEMS) throw new IllegalArgumentException("limit must be positive, found " + limit);
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, found " + batchSize);
        if (maxNewTokens < 1) throw new IllegalArgumentException("max new tokens must be at least 1, found " + maxNewTokens);
    }

    /** Zero-shot, every item, BOS, default batch and generation length. */
    public static EvalSettings defaults() {
        return new EvalSettings(0, ALL_ITEMS, DEFAULT_SEED, true, io.llama2j.model.InferenceState.DEFAULT_PROMPT_BATCH,
                DEFAULT_MAX_NEW_TOKENS);
    }

    public EvalSettings withShots(int k) { return new EvalSettings(k, limit, seed, addBos, batchSize, maxNewTokens); }

    public EvalSettings withLimit(int n) { return new EvalSettings(shots, n, seed, addBos, batchSize, maxNewTokens); }

    /** Items evaluated out of {@code available}. */
    int evaluatedCount(int available) {
        return limit == ALL_ITEMS ? available : Math.min(limit, available);
    }
}
