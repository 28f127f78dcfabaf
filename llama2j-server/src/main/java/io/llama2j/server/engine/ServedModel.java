package io.llama2j.server.engine;

import java.util.List;

/**
 * What the server needs from "the model": tokenize, chat-encode, start a sequence, step it
 * (alone or together with others), free it, sample, and pool hidden states for embeddings. One instance is shared by every
 * slot; everything here must be safe to call from several threads (the weights are read-only,
 * each {@link ModelSequence} owns its own KV cache and scratch state).
 */
public interface ServedModel {

    /** The model id reported by /v1/models and accepted in the "model" field. */
    String id();

    /** Positions a sequence may hold (the server's --ctx, at most the model's trained length). */
    int contextLength();

    /** Token ids of plain text, with BOS first when {@code withBos}. */
    int[] tokenize(String text, boolean withBos);

    /**
     * Meta's Llama 2 chat encoding of a dialog (system?, user, assistant, user, ..., user).
     *
     * @throws IllegalArgumentException for a dialog the format cannot express (empty, badly
     *                                  ordered, not ending with a user turn), with a clear message
     */
    int[] encodeChat(List<ChatTurn> dialog);

    /** Whether sampling this token ends the text (EOS; for llama2.c checkpoints also BOS). */
    boolean endsText(int token);

    /** Whether a token id exists in the vocabulary (validates prompts given as token arrays). */
    boolean isValidToken(int token);

    /** A fresh streaming detokenizer: feeds token ids, returns the text each completes. */
    TextStream newTextStream();

    /** A new sequence with its own KV cache, sized for {@link #contextLength()} positions. */
    ModelSequence newSequence();

    /**
     * Feeds {@code tokens[b]} to {@code sequences[b]} for every b in one batched step, the
     * weights read once for all of them (continuous batching), and returns each one's
     * next-token logits: row b belongs to sequences[b] and equals what
     * {@code sequences[b].feed(tokens[b])} would return. Row b may be reused by sequences[b]'s
     * next feed.
     *
     * @param sequences distinct sequences of this model, each with room for one more position
     * @throws IllegalArgumentException for a sequence of another model, one given twice or
     *                                  full, or a token outside the vocabulary (nothing is fed then)
     */
    float[][] feedEach(ModelSequence[] sequences, int[] tokens);

    /** A sampler for one request (its own random stream, seeded when the request is). */
    TokenSampler newSampler(SamplingSettings settings);

    /**
     * The embedding of a token sequence: the mean over tokens of the final-RMSNorm output
     * (the hidden state the classifier reads), L2-normalized. Runs on a sequence of its own.
     */
    float[] embed(int[] tokens);
}
