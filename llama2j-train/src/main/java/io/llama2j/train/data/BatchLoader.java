package io.llama2j.train.data;

import io.llama2j.train.TokenBatch;

import java.util.SplittableRandom;

/**
 * Draws training batches of context-length windows at random positions (as llama2.c's
 * PretokDataset does), reproducibly: the window starts of draw number d depend only on
 * (seed, d), so a loader resumed at draw d continues exactly where an uninterrupted one would.
 * Each window of seqLen + 1 tokens gives inputs [s, s + seqLen) and targets [s + 1, s + seqLen].
 */
public final class BatchLoader implements BatchSource {
    private final TokenDataset data;
    private final int batch, seqLen;
    private final long seed;
    private final long[] windows; // drawable window starts per shard
    private final long totalWindows;
    private long draws;

    public BatchLoader(TokenDataset data, int batch, int seqLen, long seed) {
        this.data = data;
        this.batch = batch;
        this.seqLen = seqLen;
        this.seed = seed;
        this.windows = new long[data.shards().size()];
        long total = 0;
        for (int i = 0; i < windows.length; i++) {
            windows[i] = Math.max(0, data.shards().get(i).count() - seqLen);
            total += windows[i];
        }
        if (total == 0) {
            throw new IllegalArgumentException("the " + data.split() + " split has " + data.tokens()
                    + " tokens, too few for one window of " + (seqLen + 1) + " tokens in a shard; use a smaller --seq or more data");
        }
        this.totalWindows = total;
    }

    /** Batches drawn so far (the loader's whole state). */
    public long position() { return draws; }

    /** Continues from a saved {@link #position()}. */
    public void seek(long position) {
        if (position < 0) throw new IllegalArgumentException("loader position must be >= 0, found " + position);
        this.draws = position;
    }

    public TokenBatch next() {
        SplittableRandom random = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (draws + 1)));
        draws++;
        int[] inputs = new int[batch * seqLen], targets = new int[batch * seqLen];
        int[] window = new int[seqLen + 1];
        for (int b = 0; b < batch; b++) {
            long pick = random.nextLong(totalWindows);
            int shard = 0;
            while (pick >= windows[shard]) pick -= windows[shard++];
            data.read(shard, pick, window, 0, seqLen + 1);
            System.arraycopy(window, 0, inputs, b * seqLen, seqLen);
            System.arraycopy(window, 1, targets, b * seqLen, seqLen);
        }
        return TokenBatch.unmasked(batch, seqLen, inputs, targets);
    }
}
