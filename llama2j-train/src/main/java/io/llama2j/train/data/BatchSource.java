package io.llama2j.train.data;

import io.llama2j.train.TokenBatch;

/**
 * Micro-batches for the trainer, in a reproducible order: pretraining windows
 * ({@link BatchLoader}) or packed, masked SFT sequences. The position is saved in checkpoints.
 */
public interface BatchSource {
    TokenBatch next();

    /** Batches drawn so far. */
    long position();

    /** Continues from a saved {@link #position()}. */
    void seek(long position);
}
