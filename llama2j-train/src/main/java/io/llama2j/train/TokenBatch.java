package io.llama2j.train;

/**
 * One micro-batch of training data: {@code batch} rows of {@code seqLen} input tokens, the
 * token each position must predict, and a per-token loss weight. Pretraining weighs every token
 * 1; SFT zeroes the prompt's tokens (Llama 2 paper §3.1), GAtt the earlier turns (§3.3): the
 * mask is data, the trainer loop is the same.
 *
 * @param inputs  (batch · seqLen) token ids fed to the model
 * @param targets (batch · seqLen) next-token ids
 * @param mask    (batch · seqLen) loss weights, usually 0 or 1
 */
public record TokenBatch(int batch, int seqLen, int[] inputs, int[] targets, float[] mask) {
    public TokenBatch {
        if (batch <= 0 || seqLen <= 0) {
            throw new IllegalArgumentException("batch and sequence length must be positive, found " + batch + " x " + seqLen);
        }
        int n = batch * seqLen;
        if (inputs.length != n || targets.length != n || mask.length != n) {
            throw new IllegalArgumentException("a " + batch + " x " + seqLen + " batch needs " + n + " inputs, targets and mask"
                    + " entries, found " + inputs.length + ", " + targets.length + " and " + mask.length);
        }
    }

    /** A batch that trains on every token. */
    public static TokenBatch unmasked(int batch, int seqLen, int[] inputs, int[] targets) {
        float[] mask = new float[inputs.length];
        java.util.Arrays.fill(mask, 1f);
        return new TokenBatch(batch, seqLen, inputs, targets, mask);
    }

    public int tokens() { return batch * seqLen; }

    /** Σ mask: the number of tokens the loss is averaged over. */
    public double maskedTokens() {
        double sum = 0;
        for (float m : mask) sum += m;
        return sum;
    }
}
