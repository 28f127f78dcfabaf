package io.llama2j.train.reward;

/**
 * One preference pair as token ids: the prompt plus the chosen response, and the prompt plus the
 * rejected one, each with a flag per id marking the response's tokens (what DPO scores and the
 * reward model reads to its last token).
 */
public record EncodedPreference(int[] chosen, boolean[] chosenAnswer, int[] rejected, boolean[] rejectedAnswer,
                                PreferenceRating rating) {
    public EncodedPreference {
        if (chosen.length != chosenAnswer.length || rejected.length != rejectedAnswer.length) {
            throw new IllegalArgumentException("answer masks must match the token counts: chosen " + chosen.length + "/"
                    + chosenAnswer.length + ", rejected " + rejected.length + "/" + rejectedAnswer.length);
        }
        if (chosen.length < 2 || rejected.length < 2) {
            throw new IllegalArgumentException("a preference sequence needs at least 2 tokens, found chosen "
                    + chosen.length + " and rejected " + rejected.length);
        }
        if (rating == null) throw new IllegalArgumentException("rating is required");
    }

    /** The longer of the two sequences. */
    public int maxLength() { return Math.max(chosen.length, rejected.length); }
}
