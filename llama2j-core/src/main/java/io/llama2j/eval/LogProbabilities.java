package io.llama2j.eval;

/**
 * Log-probabilities from a row of logits: the log-softmax of one token, computed in double
 * with the maximum subtracted first so that large logits cannot overflow (the same as
 * llama.cpp's perplexity {@code log_softmax} and PyTorch's {@code log_softmax}).
 */
public final class LogProbabilities {
    private LogProbabilities() {}

    /** log p(token) = logits[token] - log Σ exp(logits). */
    public static double of(float[] logits, int token) {
        if (token < 0 || token >= logits.length) {
            throw new IllegalArgumentException("token id " + token + " is outside the logits' vocabulary [0, " + logits.length + ")");
        }
        return logits[token] - logSumExp(logits);
    }

    /** log Σ exp(logits), stable for any finite logits. */
    public static double logSumExp(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double sum = 0;
        for (float v : logits) sum += Math.exp(v - max);
        return max + Math.log(sum);
    }

    /** The index of the largest logit, the lowest index winning ties (greedy decoding's choice). */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) best = i;
        }
        return best;
    }
}
