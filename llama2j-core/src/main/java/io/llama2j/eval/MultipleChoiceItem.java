package io.llama2j.eval;

import java.util.List;

/**
 * One multiple-choice question: the prompt the choices continue, the choices, and the index of
 * the right one. Each choice is scored as " " + choice after the prompt (lm-evaluation-harness's
 * default target delimiter).
 */
public record MultipleChoiceItem(String prompt, List<String> choices, int answer) {
    public MultipleChoiceItem {
        choices = List.copyOf(choices);
        if (choices.size() < 2) throw new IllegalArgumentException("a multiple-choice item needs at least 2 choices, found " + choices.size());
        if (answer < 0 || answer >= choices.size()) {
            throw new IllegalArgumentException("answer index " + answer + " is outside the " + choices.size() + " choices");
        }
    }
}
