package io.llama2j.eval;

import java.util.List;

/** The items of a task file, by kind ({@link TaskReader} reads them). */
public sealed interface EvalTask {
    int size();

    /** The format name shown in reports. */
    String formatName();

    record MultipleChoice(List<MultipleChoiceItem> items) implements EvalTask {
        public int size() { return items.size(); }
        public String formatName() { return "choice"; }
    }

    record TruthfulQa(List<TruthfulQaItem> items) implements EvalTask {
        public int size() { return items.size(); }
        public String formatName() { return "truthfulqa"; }
    }

    record Generation(List<GenerationItem> items) implements EvalTask {
        public int size() { return items.size(); }
        public String formatName() { return "generate"; }
    }
}
