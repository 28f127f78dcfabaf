package io.llama2j.generate;

import io.llama2j.chat.ChatFormat;
import io.llama2j.chat.EncodedDialog;
import io.llama2j.chat.Message;
import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.sampling.Sampler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A multi-turn Llama 2 chat over one KV cache. Each turn the whole dialog is encoded exactly as
 * Meta's chat_completion does ({@link ChatFormat}), compared with the tokens already in the cache,
 * and only the tokens after the common prefix are processed: normally just the new user turn
 * (and the EOS closing the previous answer, which generation never feeds).
 */
public final class ChatSession {
    private final Llama model;
    private final ChatFormat format;
    private final InferenceState state;
    private final Generator generator;
    private final String systemPrompt;
    private final int[] stopTokenIds;
    private final List<Message> dialog = new ArrayList<>();
    /** The ids at positions [0, state.position()) of the cache. */
    private int[] cachedIds = new int[0];

    /**
     * @param systemPrompt  the system message of every conversation, or null
     * @param stopTokenIds  ids that end an answer (EOS)
     */
    public ChatSession(Llama model, ChatFormat format, InferenceState state, String systemPrompt, int... stopTokenIds) {
        this.model = model;
        this.format = format;
        this.state = state;
        this.generator = new Generator(model);
        this.systemPrompt = systemPrompt;
        this.stopTokenIds = stopTokenIds.clone();
        reset();
    }

    /** Forgets the conversation (the system prompt stays). */
    public void reset() {
        dialog.clear();
        if (systemPrompt != null) dialog.add(Message.system(systemPrompt));
        state.rewind(0);
        cachedIds = new int[0];
    }

    /** The messages so far (system, user, assistant, ...). */
    public List<Message> dialog() { return List.copyOf(dialog); }

    /** Tokens in the KV cache. */
    public int cachedTokens() { return state.position(); }

    /**
     * Answers {@code userMessage}: streams the answer to {@code listener} and adds both messages to
     * the dialog. A message containing chat tags gets Meta's {@link ChatFormat#UNSAFE_ERROR}
     * without running the model (and is not added).
     *
     * @param maxAnswerTokens most tokens in the answer (it also ends when the context is full)
     * @param cancelled       polled before every token (Ctrl-C)
     */
    public GenerationResult answer(String userMessage, Sampler sampler, int maxAnswerTokens, BooleanSupplier cancelled,
                                   TokenDecoder decoder, TokenListener listener) {
        List<Message> next = new ArrayList<>(dialog);
        next.add(Message.user(userMessage));
        EncodedDialog encoded = format.encodePrompt(next);
        if (encoded.hasSpecialTags()) {
            listener.onToken(-1, ChatFormat.UNSAFE_ERROR);
            return new GenerationResult(new int[0], ChatFormat.UNSAFE_ERROR, StopReason.STOP_TOKEN, 0, 0, 0);
        }
        int[] ids = encoded.ids();
        if (ids.length >= state.maxSequenceLength()) {
            throw new IllegalStateException("the conversation (" + ids.length + " tokens) no longer fits in the context of "
                    + state.maxSequenceLength() + " tokens; /reset to start a new one");
        }
        // Reuse the cache up to the first difference; at least one token must be fed to get logits
        int common = Math.min(commonPrefixLength(cachedIds, ids), ids.length - 1);
        state.rewind(common);
        int[] newIds = Arrays.copyOfRange(ids, common, ids.length);
        int room = state.maxSequenceLength() - ids.length;
        GenerationResult r = generator.generate(state, newIds, sampler,
                new GenerationSettings(Math.min(maxAnswerTokens, room), stopTokenIds, List.of(), cancelled), decoder, listener);
        if (r.stopReason() == StopReason.MAX_TOKENS && room < maxAnswerTokens) {
            r = new GenerationResult(r.tokens(), r.text(), StopReason.CONTEXT_FULL, r.promptTokens(), r.promptNanos(), r.generationNanos());
        }
        int[] all = Arrays.copyOf(ids, ids.length + r.tokens().length);
        System.arraycopy(r.tokens(), 0, all, ids.length, r.tokens().length);
        cachedIds = Arrays.copyOf(all, state.position());
        dialog.add(Message.user(userMessage));
        dialog.add(Message.assistant(r.text()));
        return r;
    }

    private static int commonPrefixLength(int[] a, int[] b) {
        int n = Math.min(a.length, b.length), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }

    public Llama model() { return model; }
}
