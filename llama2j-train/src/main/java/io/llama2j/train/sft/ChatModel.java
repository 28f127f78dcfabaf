package io.llama2j.train.sft;

/**
 * A chat model answering a dialog one user message at a time, as the data builders of GAtt and
 * context distillation sample from "the current model" (a ChatSession in the CLI; fakes in tests).
 */
public interface ChatModel {
    /** Starts a new dialog with {@code systemPrompt} (null: none). */
    void start(String systemPrompt);

    /** The model's answer to {@code userMessage} after the dialog so far (which then includes both). */
    String answer(String userMessage);
}
