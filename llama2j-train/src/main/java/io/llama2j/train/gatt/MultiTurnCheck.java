package io.llama2j.train.gatt;

import io.llama2j.train.sft.ChatModel;

import java.util.List;

/**
 * How long a model keeps a system instruction (the measurement behind Ghost Attention, Llama 2
 * paper §3.3): each dialog starts with the instruction as its system message, the model answers
 * the dialog's user turns one after the other (its own answers stay in the context), and every
 * answer is checked by an {@link InstructionCheck}. The result counts, per turn, the dialogs that
 * reached the turn and the answers that passed.
 */
public final class MultiTurnCheck {
    private MultiTurnCheck() {}

    /** Per turn t (0-based): {@code asked[t]} answers checked, {@code passed[t]} of them followed the instruction. */
    public record Result(int[] asked, int[] passed) {
        public double rate(int turn) { return asked[turn] == 0 ? Double.NaN : (double) passed[turn] / asked[turn]; }

        public int turns() { return asked.length; }
    }

    /**
     * Runs every dialog's first {@code maxTurns} user turns with {@code instruction} as the system
     * message. A dialog that no longer fits the model's context ({@link IllegalStateException} from
     * the model) stops there; its later turns are not counted.
     */
    public static Result run(ChatModel model, String instruction, InstructionCheck check, List<List<String>> dialogs, int maxTurns) {
        if (maxTurns < 1) throw new IllegalArgumentException("at least one turn to check, found " + maxTurns);
        int[] asked = new int[maxTurns], passed = new int[maxTurns];
        for (List<String> userTurns : dialogs) {
            model.start(instruction);
            for (int t = 0; t < Math.min(maxTurns, userTurns.size()); t++) {
                String answer;
                try {
                    answer = model.answer(userTurns.get(t));
                } catch (IllegalStateException contextFull) {
                    break;
                }
                asked[t]++;
                if (check.passes(answer)) passed[t]++;
            }
        }
        return new Result(asked, passed);
    }
}
