package io.llama2j.server.engine;

/**
 * Streaming detokenizer: byte-fallback tokens may split one UTF-8 character over several
 * ids, so text is only released once it is complete.
 */
public interface TextStream {
    /** The text this token completes (possibly empty). */
    String accept(int token);

    /** Whatever is still held back (an incomplete character) once generation ends. */
    String flush();
}
