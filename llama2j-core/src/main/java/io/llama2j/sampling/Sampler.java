package io.llama2j.sampling;

import io.llama2j.tensor.FloatArrays;

import java.util.Arrays;

/**
 * Chooses the next token from a logits vector according to a {@link SamplerConfig}. Holds its
 * scratch buffers and its one random generator: xorshift64* as in llama2.c run.c (random_u32),
 * seeded with {@link SamplerConfig#seed()}, so a run is reproducible across JVMs. Not thread-safe.
 */
public final class Sampler {
    private final SamplerConfig config;
    private final int vocabSize;
    /** (vocab) probabilities after softmax */
    private final float[] probs;
    /** (vocab) sort keys: (Integer.MAX_VALUE - probability bits) << 32 | id, ascending = by decreasing probability, ties by id */
    private final long[] order;
    /** (vocab) the kept probabilities while they are renormalized */
    private final float[] probsScratch;
    /** (vocab) occurrences of each token in the penalty window */
    private final int[] counts;
    private long rngState;

    public Sampler(SamplerConfig config, int vocabSize) {
        this.config = config;
        this.vocabSize = vocabSize;
        this.probs = new float[vocabSize];
        this.order = new long[vocabSize];
        this.counts = new int[vocabSize];
        this.probsScratch = new float[vocabSize];
        // xorshift needs a non-zero state; mix the seed so 0 is a valid seed
        this.rngState = config.seed() ^ 0x9E3779B97F4A7C15L;
        if (rngState == 0) rngState = 0x9E3779B97F4A7C15L;
    }

    public SamplerConfig config() { return config; }

    /**
     * The next token. {@code logits} (vocab) is modified in place by the penalties;
     * {@code history}[0, historyLength) are the tokens so far (prompt and generated), of which the
     * last penaltyLastN are penalized.
     */
    public int sample(float[] logits, int[] history, int historyLength) {
        applyPenalties(logits, history, historyLength);
        if (config.isGreedy()) return FloatArrays.argmax(logits, vocabSize);
        for (int i = 0; i < vocabSize; i++) probs[i] = logits[i] / config.temperature();
        FloatArrays.softmax(probs, 0, vocabSize);
        if (config.topK() == 0 && config.topP() >= 1f && config.minP() == 0f) {
            return drawFrom(probs);
        }
        keepMostLikely(probs);
        return drawFrom(probs);
    }

    /** Repetition (CTRL), frequency and presence penalties over the last penaltyLastN tokens. */
    void applyPenalties(float[] logits, int[] history, int historyLength) {
        boolean any = config.repeatPenalty() != 1f || config.frequencyPenalty() != 0f || config.presencePenalty() != 0f;
        if (!any || config.penaltyLastN() == 0) return;
        int from = Math.max(0, historyLength - config.penaltyLastN());
        for (int i = from; i < historyLength; i++) counts[history[i]]++;
        for (int i = from; i < historyLength; i++) {
            int token = history[i];
            int count = counts[token];
            if (count == 0) continue; // already penalized (a repeated token)
            float logit = logits[token];
            logit = logit > 0 ? logit / config.repeatPenalty() : logit * config.repeatPenalty();
            logit -= count * config.frequencyPenalty() + config.presencePenalty();
            logits[token] = logit;
            counts[token] = 0;
        }
    }

    /**
     * Zeroes every probability that top-k, top-p (Meta's sample_top_p) or min-p removes, and
     * renormalizes the rest.
     */
    void keepMostLikely(float[] p) {
        // Only tokens that can survive are sorted. Exact bounds: min-p drops p < minP * max; top-p
        // drops p < (1 - topP) / vocab, since such a token and every token after it hold less than
        // 1 - topP, so the mass before it exceeds topP (llama2.c uses the same cut-off idea).
        float max = 0f;
        for (int i = 0; i < vocabSize; i++) max = Math.max(max, p[i]);
        float threshold = 0f;
        if (config.topP() < 1f) threshold = (1f - config.topP()) / vocabSize;
        if (config.minP() > 0f) threshold = Math.max(threshold, config.minP() * max);
        threshold = Math.min(threshold, max); // the most likely token always stays
        int candidates = 0;
        // Probabilities are >= 0, so their IEEE bits order like the values: one primitive sort, no boxing.
        for (int i = 0; i < vocabSize; i++) {
            if (p[i] >= threshold) order[candidates++] = ((long) (Integer.MAX_VALUE - Float.floatToIntBits(p[i])) << 32) | i;
        }
        Arrays.sort(order, 0, candidates);
        int keep = candidates;
        if (config.topK() > 0) keep = Math.min(keep, config.topK());
        if (config.topP() < 1f) {
            // sample_top_p: mask = cumsum - p_sorted > top_p; token i stays while the mass before it is <= top_p
            float massBefore = 0f;
            for (int i = 0; i < keep; i++) {
                if (massBefore > config.topP()) {
                    keep = i;
                    break;
                }
                massBefore += p[id(order[i])];
            }
        }
        if (config.minP() > 0f) {
            float minProbability = config.minP() * max;
            for (int i = 1; i < keep; i++) {
                if (p[id(order[i])] < minProbability) {
                    keep = i;
                    break;
                }
            }
        }
        float kept = 0f;
        for (int i = 0; i < keep; i++) kept += p[id(order[i])];
        float[] keptValues = probsScratch;
        for (int i = 0; i < keep; i++) keptValues[i] = p[id(order[i])] / kept;
        Arrays.fill(p, 0f);
        for (int i = 0; i < keep; i++) p[id(order[i])] = keptValues[i];
    }

    private static int id(long key) { return (int) key; }

    /** One draw from the distribution p (sums to 1). */
    private int drawFrom(float[] p) {
        float coin = nextFloat();
        float cdf = 0f;
        int lastNonZero = 0;
        for (int i = 0; i < vocabSize; i++) {
            if (p[i] == 0f) continue;
            cdf += p[i];
            lastNonZero = i;
            if (coin < cdf) return i;
        }
        return lastNonZero; // rounding left the cdf just below the coin
    }

    /** xorshift64* (Marsaglia 2003; Vigna 2016), as llama2.c's random_u32/random_f32: a float in [0, 1). */
    float nextFloat() {
        rngState ^= rngState >>> 12;
        rngState ^= rngState << 25;
        rngState ^= rngState >>> 27;
        int bits = (int) ((rngState * 0x2545F4914F6CDD1DL) >>> 32);
        return (bits >>> 8) / 16777216.0f;
    }
}
