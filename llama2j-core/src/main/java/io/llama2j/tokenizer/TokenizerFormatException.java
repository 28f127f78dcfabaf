package io.llama2j.tokenizer;

/**
 * A tokenizer file (or vocabulary) that cannot be used: truncated, wrong magic, absurd lengths,
 * inconsistent vocabulary. The message names the file, the field, what was expected and what
 * was found.
 */
public final class TokenizerFormatException extends IllegalArgumentException {
    public TokenizerFormatException(String message) {
        super(message);
    }

    public TokenizerFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
