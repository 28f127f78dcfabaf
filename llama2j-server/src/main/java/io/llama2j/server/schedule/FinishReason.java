package io.llama2j.server.schedule;

/** Why a completion ended, as OpenAI's finish_reason spells it. */
public enum FinishReason {
    /** EOS sampled or a stop string reached. */
    STOP("stop"),
    /** max_tokens reached or the context is full. */
    LENGTH("length");

    private final String openAiName;

    FinishReason(String openAiName) {
        this.openAiName = openAiName;
    }

    public String openAiName() {
        return openAiName;
    }
}
