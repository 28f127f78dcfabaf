package io.llama2j.eval;

/**
 * One generation question: the question and its reference answer. A GSM8K answer is a worked
 * solution ending in "#### value"; {@link AnswerExtraction#referenceValue} takes the value out.
 */
public record GenerationItem(String question, String answer) {
    public GenerationItem {
        if (question == null || answer == null) throw new IllegalArgumentException("question and answer must be present");
    }
}
