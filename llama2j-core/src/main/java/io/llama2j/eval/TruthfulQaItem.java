package io.llama2j.eval;

import java.util.List;

/**
 * One TruthfulQA question with its two answer sets (Lin et al. 2021, "TruthfulQA", §3.1):
 * MC1 has exactly one true answer; MC2 has several true and several false ones.
 * {@code mc1True}/{@code mc2True} flag, per answer, whether it is true.
 */
public record TruthfulQaItem(String question, List<String> mc1Answers, List<Boolean> mc1True,
                             List<String> mc2Answers, List<Boolean> mc2True) {
    public TruthfulQaItem {
        mc1Answers = List.copyOf(mc1Answers);
        mc1True = List.copyOf(mc1True);
        mc2Answers = List.copyOf(mc2Answers);
        mc2True = List.copyOf(mc2True);
        if (mc1Answers.size() != mc1True.size() || mc2Answers.size() != mc2True.size()) {
            throw new IllegalArgumentException("answers and labels differ in number");
        }
        if (mc1True.stream().filter(t -> t).count() != 1) {
            throw new IllegalArgumentException("mc1_targets must have exactly one true answer, found "
                    + mc1True.stream().filter(t -> t).count());
        }
        if (!mc2True.contains(true) || !mc2True.contains(false)) {
            throw new IllegalArgumentException("mc2_targets must have both true and false answers");
        }
    }

    /** Index of MC1's one true answer. */
    public int mc1Answer() { return mc1True.indexOf(true); }
}
