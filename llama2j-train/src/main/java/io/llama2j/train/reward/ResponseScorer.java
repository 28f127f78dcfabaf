package io.llama2j.train.reward;

import io.llama2j.chat.Message;

import java.util.List;

/** Scores a response to a prompt: a trained reward model ({@link RewardModelScorer}) or, in tests, a checkable rule. */
@FunctionalInterface
public interface ResponseScorer {
    double score(List<Message> prompt, String response);
}
