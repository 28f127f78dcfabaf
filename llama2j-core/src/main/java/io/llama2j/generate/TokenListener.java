package io.llama2j.generate;

/** Called once per generated token, in order, while generation runs. */
@FunctionalInterface
public interface TokenListener {
    /**
     * @param tokenId the token just chosen, or -1 for text released at the very end (held back
     *                for a stop string that did not come)
     * @param text    text that is now final: may be empty (an incomplete character, or text held
     *                back because it may be the start of a stop string) and may contain text of
     *                earlier tokens that was held back
     */
    void onToken(int tokenId, String text);

    TokenListener NONE = (id, text) -> { };
}
