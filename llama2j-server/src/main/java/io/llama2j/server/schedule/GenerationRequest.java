package io.llama2j.server.schedule;

import io.llama2j.server.engine.SamplingSettings;

import java.util.List;

/**
 * One completion to run: the prompt ids, how many tokens it may add at most, how to sample
 * and where to stop. The scheduler also stops at the end of the context (finish "length").
 */
public record GenerationRequest(int[] prompt, int maxTokens, SamplingSettings sampling, List<String> stop) {
    public GenerationRequest {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("prompt must hold at least one token");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1, was " + maxTokens);
        }
        prompt = prompt.clone();
        stop = List.copyOf(stop);
    }
}
