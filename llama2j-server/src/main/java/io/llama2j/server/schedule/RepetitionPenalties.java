package io.llama2j.server.schedule;

/**
 * OpenAI's presence and frequency penalties over the tokens generated so far:
 * {@code logit[j] -= count[j] * frequency + (count[j] > 0 ? presence : 0)}
 * (OpenAI API reference, "Parameter details: frequency and presence penalties").
 */
final class RepetitionPenalties {

    private final double presence;
    private final double frequency;
    private int[] counts = new int[0];

    RepetitionPenalties(double presence, double frequency) {
        this.presence = presence;
        this.frequency = frequency;
    }

    void record(int token) {
        if (token >= counts.length) {
            counts = java.util.Arrays.copyOf(counts, Math.max(token + 1, counts.length * 2));
        }
        counts[token]++;
    }

    void apply(float[] logits) {
        int n = Math.min(logits.length, counts.length);
        for (int j = 0; j < n; j++) {
            if (counts[j] > 0) {
                logits[j] -= (float) (counts[j] * frequency + presence);
            }
        }
    }
}
