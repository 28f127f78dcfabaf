package io.llama2j.generate;

/** Why a generation ended. */
public enum StopReason {
    /** The model produced a stop token (end of sequence). */
    STOP_TOKEN,
    /** The requested number of new tokens was generated. */
    MAX_TOKENS,
    /** The decoded text contained a stop string. */
    STOP_STRING,
    /** The KV cache (context) is full. */
    CONTEXT_FULL,
    /** The caller asked to stop (Ctrl-C in chat, a client that went away). */
    CANCELLED
}
