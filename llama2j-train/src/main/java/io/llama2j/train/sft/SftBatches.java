package io.llama2j.train.sft;

import io.llama2j.train.TokenBatch;
import io.llama2j.train.data.BatchSource;

import java.util.SplittableRandom;

/**
 * Micro-batches of packed SFT sequences, epoch after epoch, each epoch in its own seeded
 * shuffled order. Batch k holds the sequences at positions k·batch .. k·batch + batch − 1 of
 * that stream, so a position fully determines the batch (checkpoints resume exactly).
 */
public final class SftBatches implements BatchSource {
    private final PackedSequences data;
    private final int batch;
    private final long seed;
    private final boolean shuffle;
    private long position;
    private int[] order;
    private long orderEpoch = -1;

    /** Shuffled batches for training; {@code shuffle = false} keeps the file's order (validation). */
    public SftBatches(PackedSequences data, int batch, long seed, boolean shuffle) {
        if (data.size() == 0) throw new IllegalArgumentException("no SFT sequences to train on");
        if (batch <= 0) throw new IllegalArgumentException("batch must be positive, found " + batch);
        this.data = data;
        this.batch = batch;
        this.seed = seed;
        this.shuffle = shuffle;
    }

    /** Optimizer steps that cover {@code epochs} passes over the data with {@code sequencesPerStep} sequences each. */
    public static int steps(int sequences, int epochs, int sequencesPerStep) {
        return (int) Math.max(1, Math.ceilDiv((long) sequences * epochs, sequencesPerStep));
    }

    @Override public long position() { return position; }

    @Override public void seek(long position) {
        if (position < 0) throw new IllegalArgumentException("batch position must be >= 0, found " + position);
        this.position = position;
    }

    @Override public TokenBatch next() {
        int seqLen = data.seqLen(), n = data.size();
        int[] inputs = new int[batch * seqLen], targets = new int[batch * seqLen];
        float[] mask = new float[batch * seqLen];
        for (int b = 0; b < batch; b++) {
            long index = position * batch + b;
            int sequence = sequenceAt(index / n, (int) (index % n));
            System.arraycopy(data.inputs().get(sequence), 0, inputs, b * seqLen, seqLen);
            System.arraycopy(data.targets().get(sequence), 0, targets, b * seqLen, seqLen);
            System.arraycopy(data.mask().get(sequence), 0, mask, b * seqLen, seqLen);
        }
        position++;
        return new TokenBatch(batch, seqLen, inputs, targets, mask);
    }

    private int sequenceAt(long epoch, int i) {
        if (!shuffle) return i;
        if (epoch != orderEpoch) {
            int n = data.size();
            order = new int[n];
            for (int k = 0; k < n; k++) order[k] = k;
            SplittableRandom random = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (epoch + 1)));
            for (int k = n - 1; k > 0; k--) { // Fisher-Yates
                int j = random.nextInt(k + 1);
                int t = order[k]; order[k] = order[j]; order[j] = t;
            }
            orderEpoch = epoch;
        }
        return order[i];
    }
}
