package io.llama2j.train;

import io.llama2j.train.optim.OptimizerConfig;

/**
 * How a run trains: the shape of a step (batch × seqLen tokens per micro-batch, gradAccum
 * micro-batches per optimizer step), its length, when it evaluates and saves, and the optimizer.
 *
 * @param steps         optimizer steps of the whole run (the LR schedule ends at the last)
 * @param batch         sequences per micro-batch
 * @param seqLen        tokens per sequence (at most the model's context length)
 * @param gradAccum     micro-batches whose gradients are summed before each step
 * @param evalEvery     steps between validation losses (0: never; the last step is always evaluated)
 * @param evalBatches   micro-batches of validation data per evaluation
 * @param saveEvery     steps between checkpoints (0: only at the end and on interruption)
 * @param seed          seed of the initialization and of the data order
 * @param optimizer     AdamW, schedule and clipping
 */
public record TrainerConfig(int steps, int batch, int seqLen, int gradAccum, int evalEvery, int evalBatches,
                            int saveEvery, long seed, OptimizerConfig optimizer) {
    public static final int DEFAULT_EVAL_BATCHES = 8;

    public TrainerConfig {
        positive("steps", steps);
        positive("batch", batch);
        positive("seq", seqLen);
        positive("grad-accum", gradAccum);
        positive("eval batches", evalBatches);
        if (evalEvery < 0) throw new IllegalArgumentException("eval-every must be >= 0, found " + evalEvery);
        if (saveEvery < 0) throw new IllegalArgumentException("save-every must be >= 0, found " + saveEvery);
        if (optimizer == null) throw new IllegalArgumentException("optimizer config is required");
    }

    private static void positive(String name, int value) {
        if (value <= 0) throw new IllegalArgumentException(name + " must be positive, found " + value);
    }

    /** Tokens per optimizer step. */
    public long tokensPerStep() { return (long) batch * seqLen * gradAccum; }
}
