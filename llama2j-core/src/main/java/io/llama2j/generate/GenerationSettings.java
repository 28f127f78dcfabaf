package io.llama2j.generate;

import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * When a generation stops.
 *
 * @param maxNewTokens  most tokens to generate (stop tokens not counted)
 * @param stopTokenIds  ids that end generation when sampled (EOS; llama2.c models also end on BOS);
 *                      they are not part of the output
 * @param stopStrings   generation ends when the decoded text contains one of these; the text is
 *                      cut before it
 * @param cancelled     polled before each token; true ends generation (may be null)
 */
public record GenerationSettings(int maxNewTokens, int[] stopTokenIds, List<String> stopStrings, BooleanSupplier cancelled) {

    public GenerationSettings {
        if (maxNewTokens < 0) throw new IllegalArgumentException("number of tokens to generate must be >= 0, found " + maxNewTokens);
        stopTokenIds = stopTokenIds == null ? new int[0] : stopTokenIds.clone();
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) throw new IllegalArgumentException("a stop string must not be empty");
        }
        if (cancelled == null) cancelled = () -> false;
    }

    public GenerationSettings(int maxNewTokens, int... stopTokenIds) {
        this(maxNewTokens, stopTokenIds, List.of(), null);
    }

    boolean isStopToken(int id) {
        for (int s : stopTokenIds) {
            if (s == id) return true;
        }
        return false;
    }
}
