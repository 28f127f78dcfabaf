package io.llama2j.server.api;

/** Checks a prompt against the context and turns max_tokens into what fits. */
final class PromptLimits {

    private PromptLimits() {
    }

    /**
     * The completion budget: the requested maximum, or what is left of the context, whichever is
     * smaller. A prompt that leaves no room for one new token is a 400 with both counts.
     */
    static int completionBudget(int promptTokens, Integer requestedMax, int contextLength, String promptParam) {
        if (promptTokens >= contextLength) {
            throw ApiException.invalid(promptParam, "context_length_exceeded",
                    "This model's maximum context length is " + contextLength + " tokens. However, your "
                            + (promptParam.equals("messages") ? "messages resulted in " : "prompt has ")
                            + promptTokens + " tokens, which leaves no room for a completion. "
                            + "Please reduce the length of the " + promptParam + ".");
        }
        int room = contextLength - promptTokens;
        return requestedMax == null ? room : Math.min(requestedMax, room);
    }
}
