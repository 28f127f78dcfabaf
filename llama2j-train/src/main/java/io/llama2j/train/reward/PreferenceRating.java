package io.llama2j.train.reward;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The 4-level preference rating annotators give a chosen response over a rejected one (Llama 2
 * paper §3.2.1); the reward model's margin is a function of it (Table 27).
 */
public enum PreferenceRating {
    SIGNIFICANTLY_BETTER("significantly_better"),
    BETTER("better"),
    SLIGHTLY_BETTER("slightly_better"),
    NEGLIGIBLY_BETTER("negligibly_better");

    private final String jsonName;

    PreferenceRating(String jsonName) { this.jsonName = jsonName; }

    /** The spelling in preference JSONL files. */
    public String jsonName() { return jsonName; }

    /** The rating spelled {@code name} in a JSONL file (unsure counts as negligibly better, as in Table 27). */
    public static PreferenceRating parse(String name) {
        if ("unsure".equals(name)) return NEGLIGIBLY_BETTER;
        for (PreferenceRating r : values()) {
            if (r.jsonName.equals(name)) return r;
        }
        throw new IllegalArgumentException("unknown rating \"" + name + "\"; expected one of "
                + Arrays.stream(values()).map(PreferenceRating::jsonName).collect(Collectors.joining(", ")) + " or unsure");
    }
}
