package io.llama2j.train.distill;

import io.llama2j.chat.Message;
import io.llama2j.train.sft.ChatModel;
import io.llama2j.train.sft.Conversations.Conversation;

import java.util.List;

/**
 * Context distillation data (Llama 2 paper §4.2.4, after Askell et al. 2021): answers generated
 * with a safety pre-prompt as the system message (and optionally an answer template after the
 * prompt) become SFT data without them, so the tuned model answers that way unprompted.
 */
public final class ContextDistillation {
    private ContextDistillation() {}

    /** One SFT example: {@code prompt} and the answer the model gives it under {@code preprompt} (+ {@code template}, may be null). */
    public static Conversation sample(String prompt, String preprompt, String template, ChatModel model) {
        if (preprompt == null || preprompt.isBlank()) throw new IllegalArgumentException("the safety pre-prompt is empty");
        model.start(preprompt);
        String asked = template == null || template.isBlank() ? prompt : prompt + "\n\n" + template;
        String answer = model.answer(asked);
        return Conversation.of(List.of(Message.user(prompt), Message.assistant(answer)));
    }
}
