package io.llama2j.train.reward;

import io.llama2j.train.TokenBatch;

import java.util.List;

/**
 * A micro-batch of preference pairs laid out for the training model: rows 0..P−1 hold the
 * chosen sequences and rows P..2P−1 the rejected ones, each padded to seqLen after its end
 * (causal attention: padding never reaches earlier positions). The targets are the next ids and
 * the mask marks targets that are response tokens (DPO's log π(y|x)); the reward model reads
 * the final hidden state at each row's last real position. A short final batch repeats its first
 * pair with weight 0, so every micro-batch has the planned shape.
 *
 * @param tokens        the model input (2P rows)
 * @param lastPositions per row, the index within the row of its last real token
 * @param pairs         the pairs, in row order (length P; weight-0 rows repeat the first)
 * @param weights       per pair, 1 for data and 0 for padding pairs
 */
public record PreferenceBatch(TokenBatch tokens, int[] lastPositions, List<EncodedPreference> pairs, float[] weights) {

    public int pairCount() { return pairs.size(); }

    /** Lays out {@code data} (1 to P pairs) as a batch of P pairs of seqLen tokens; padding uses {@code padId}. */
    public static PreferenceBatch of(List<EncodedPreference> data, int pairsPerBatch, int seqLen, int padId) {
        if (data.isEmpty() || data.size() > pairsPerBatch) {
            throw new IllegalArgumentException("a batch of " + pairsPerBatch + " pairs takes 1 to " + pairsPerBatch
                    + " pairs, found " + data.size());
        }
        int rows = 2 * pairsPerBatch;
        int[] inputs = new int[rows * seqLen], targets = new int[rows * seqLen];
        float[] mask = new float[rows * seqLen];
        int[] last = new int[rows];
        float[] weights = new float[pairsPerBatch];
        EncodedPreference[] pairs = new EncodedPreference[pairsPerBatch];
        for (int p = 0; p < pairsPerBatch; p++) {
            boolean real = p < data.size();
            EncodedPreference pair = data.get(real ? p : 0);
            pairs[p] = pair;
            weights[p] = real ? 1f : 0f;
            last[p] = fill(inputs, targets, mask, p * seqLen, seqLen, pair.chosen(), pair.chosenAnswer(), padId);
            last[pairsPerBatch + p] = fill(inputs, targets, mask, (pairsPerBatch + p) * seqLen, seqLen, pair.rejected(),
                    pair.rejectedAnswer(), padId);
        }
        return new PreferenceBatch(new TokenBatch(rows, seqLen, inputs, targets, mask), last, List.of(pairs), weights);
    }

    private static int fill(int[] inputs, int[] targets, float[] mask, int base, int seqLen, int[] ids, boolean[] answer, int padId) {
        if (ids.length > seqLen) {
            throw new IllegalArgumentException("a sequence of " + ids.length + " tokens does not fit the sequence length " + seqLen);
        }
        for (int t = 0; t < seqLen; t++) {
            inputs[base + t] = t < ids.length ? ids[t] : padId;
            targets[base + t] = t + 1 < ids.length ? ids[t + 1] : padId;
            mask[base + t] = t + 1 < ids.length && answer[t + 1] ? 1f : 0f;
        }
        return ids.length - 1;
    }
}
