package io.llama2j.generate;

/**
 * Turns generated token ids into text as it completes (a tokenizer's streaming decoder: a byte
 * token that starts a multi-byte UTF-8 character yields "" until the character is whole).
 */
@FunctionalInterface
public interface TokenDecoder {
    /** The text that {@code tokenId} completes (possibly empty). */
    String accept(int tokenId);
}
