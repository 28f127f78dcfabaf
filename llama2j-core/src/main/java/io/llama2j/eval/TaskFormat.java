package io.llama2j.eval;

/** The kinds of task file {@link TaskReader} reads; {@link #AUTO} tells them apart by their fields. */
public enum TaskFormat {
    /** Decide from the first item's fields. */
    AUTO,
    /**
     * Multiple choice by log-likelihood (HellaSwag, ARC, MMLU, TruthfulQA-MC styles): one JSON object
     * per line with "context" (used verbatim) or "question" (asked as "Question: …\nAnswer:"),
     * "choices": [strings] and "answer": the index of the right choice.
     */
    CHOICE,
    /**
     * TruthfulQA's own mc_task.json: a JSON list of {"question", "mc1_targets": {choice: 0/1},
     * "mc2_targets": {choice: 0/1}}, scored as MC1 and MC2.
     */
    TRUTHFULQA,
    /**
     * Generation with answer extraction (GSM8K style): {"question", "answer"}, where the answer's
     * final value follows "####" (or is the whole answer); scored by exact match.
     */
    GENERATE
}
