package io.llama2j.train.gatt;

import io.llama2j.chat.Message;
import io.llama2j.chat.Role;
import io.llama2j.train.sft.ChatModel;
import io.llama2j.train.sft.Conversations.Conversation;

import java.util.ArrayList;
import java.util.List;

/**
 * Ghost Attention training data (Llama 2 paper §3.3, Appendix A.3.5). For a dialog's user turns
 * u1 … un and an instruction inst:
 * <ol>
 *   <li>sample answers from the current model with inst concatenated to every user message;</li>
 *   <li>keep inst only in the first turn, as the system message (half of the time in a less
 *       verbose rewrite, {@link GattInstruction});</li>
 *   <li>zero the loss on every token of the earlier turns, assistant answers included: only the
 *       last answer is trained (the mask is data: "train": false on the earlier answers).</li>
 * </ol>
 */
public final class GhostAttention {
    /** How the instruction joins a user message while sampling (paper: "concatenate"). */
    public static final String JOIN = "\n\n";

    private GhostAttention() {}

    /** The GAtt example for {@code userTurns} and {@code instruction}, answers sampled from {@code model}. */
    public static Conversation sample(List<String> userTurns, String instruction, ChatModel model) {
        return sample(userTurns, instruction, instruction, model);
    }

    /**
     * The GAtt example whose answers are sampled with {@code instruction} but whose system message
     * is {@code systemMessage} (the instruction itself, or its less verbose rewrite: {@link GattInstruction}).
     */
    public static Conversation sample(List<String> userTurns, String instruction, String systemMessage, ChatModel model) {
        if (userTurns.isEmpty()) throw new IllegalArgumentException("a GAtt dialog needs at least one user turn");
        if (instruction == null || instruction.isBlank()) throw new IllegalArgumentException("the GAtt instruction is empty");
        if (systemMessage == null || systemMessage.isBlank()) throw new IllegalArgumentException("the GAtt system message is empty");
        model.start(null);
        List<Message> messages = new ArrayList<>();
        List<Boolean> trained = new ArrayList<>();
        messages.add(Message.system(systemMessage));
        trained.add(false);
        for (int i = 0; i < userTurns.size(); i++) {
            String user = userTurns.get(i);
            String answer = model.answer(user + JOIN + instruction);
            messages.add(Message.user(user));
            trained.add(false);
            messages.add(Message.assistant(answer));
            trained.add(i == userTurns.size() - 1);
        }
        return new Conversation(messages, trained);
    }

    /** The user messages of a dialog (its assistant answers are replaced by samples). */
    public static List<String> userTurns(Conversation dialog) {
        return dialog.messages().stream().filter(m -> m.role() == Role.USER).map(Message::content).toList();
    }
}
