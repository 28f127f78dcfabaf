package io.llama2j.cli;

import io.llama2j.chat.ChatFormat;
import io.llama2j.generate.ChatSession;
import io.llama2j.loading.LoadedModel;
import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.sampling.Sampler;
import io.llama2j.tokenizer.StreamingDecoder;
import io.llama2j.train.sft.ChatModel;

/** The data builders' {@link ChatModel} on a loaded model: one {@link ChatSession} per dialog, sharing one KV cache. */
final class SessionChatModel implements ChatModel {
    private final LoadedModel loaded;
    private final Llama llama;
    private final ChatFormat format;
    private final InferenceState state;
    private final Sampler sampler;
    private final int maxAnswerTokens;
    private ChatSession session;

    SessionChatModel(LoadedModel loaded, Llama llama, Sampler sampler, int maxAnswerTokens) {
        this.loaded = loaded;
        this.llama = llama;
        this.format = new ChatFormat(loaded.tokenizer());
        this.state = llama.newState();
        this.sampler = sampler;
        this.maxAnswerTokens = maxAnswerTokens;
    }

    @Override public void start(String systemPrompt) {
        session = new ChatSession(llama, format, state, systemPrompt, loaded.stopTokenIds());
    }

    @Override public String answer(String userMessage) {
        if (session == null) start(null);
        StreamingDecoder decoder = loaded.tokenizer().streamingDecoder();
        return session.answer(userMessage, sampler, maxAnswerTokens, () -> false, decoder::accept, (id, text) -> {}).text().strip();
    }
}
