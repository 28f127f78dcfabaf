package io.llama2j.generate;

/**
 * What a generation produced and how fast.
 *
 * @param tokens           generated ids (stop tokens excluded)
 * @param text             their decoded text, cut before a stop string
 * @param stopReason       why it ended
 * @param promptTokens     prompt tokens processed
 * @param promptNanos      time of the prompt's forward passes
 * @param generationNanos  time from the end of the prompt to the end (sampling and forward passes)
 */
public record GenerationResult(int[] tokens, String text, StopReason stopReason,
                               int promptTokens, long promptNanos, long generationNanos) {

    /** Prompt tokens per second (0 when there was no prompt work). */
    public double promptTokensPerSecond() {
        return promptNanos == 0 ? 0 : promptTokens * 1e9 / promptNanos;
    }

    /** Generated tokens per second. */
    public double generationTokensPerSecond() {
        return generationNanos == 0 ? 0 : tokens.length * 1e9 / generationNanos;
    }

    /** One line for stderr: counts and speeds. */
    public String timingSummary() {
        return String.format(java.util.Locale.ROOT, "prompt: %d tokens, %.1f tokens/s; generation: %d tokens, %.1f tokens/s (%s)",
                promptTokens, promptTokensPerSecond(), tokens.length, generationTokensPerSecond(),
                stopReason.name().toLowerCase(java.util.Locale.ROOT));
    }
}
