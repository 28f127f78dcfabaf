package io.llama2j.chat;

import io.llama2j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Llama 2 chat prompt format, exactly as Meta's {@code chat_completion} builds it
 * (meta-llama/llama generation.py; LLAMA2.md §1): a system message is folded into the first user
 * message inside {@code <<SYS>>\n ... \n<</SYS>>\n\n}; each completed exchange is tokenized on its
 * own as BOS + "[INST] {user} [/INST] {answer} " + EOS; an open user turn as
 * BOS + "[INST] {user} [/INST]". Contents are stripped as Python's {@code str.strip()} does.
 * The one formatter the CLI, the server and training use.
 */
public final class ChatFormat {
    public static final String B_INST = "[INST]";
    public static final String E_INST = "[/INST]";
    public static final String B_SYS = "<<SYS>>\n";
    public static final String E_SYS = "\n<</SYS>>\n\n";
    /** Tags that must not appear inside contents (generation.py SPECIAL_TAGS). */
    public static final List<String> SPECIAL_TAGS = List.of(B_INST, E_INST, "<<SYS>>", "<</SYS>>");
    /** What Meta's chat_completion answers when a content holds a special tag (UNSAFE_ERROR). */
    public static final String UNSAFE_ERROR = "Error: special tags are not allowed as part of the prompt.";

    private final Tokenizer tokenizer;

    public ChatFormat(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** A dialog that ends with the user: the prompt the model answers (chat_completion). */
    public EncodedDialog encodePrompt(List<Message> dialog) {
        List<Message> turns = fold(dialog);
        if (turns.getLast().role() != Role.USER) {
            throw new IllegalArgumentException("a chat prompt must end with a user message, the last is "
                    + turns.getLast().role().wireName());
        }
        return encode(dialog, turns);
    }

    /** A dialog that ends with the assistant: every exchange completed (training data). */
    public EncodedDialog encodeConversation(List<Message> dialog) {
        List<Message> turns = fold(dialog);
        if (turns.getLast().role() != Role.ASSISTANT) {
            throw new IllegalArgumentException("a training conversation must end with an assistant message, the last is "
                    + turns.getLast().role().wireName());
        }
        return encode(dialog, turns);
    }

    /** {@link #encodePrompt} or {@link #encodeConversation}, whichever the last message calls for. */
    public EncodedDialog encode(List<Message> dialog) {
        List<Message> turns = fold(dialog);
        return encode(dialog, turns);
    }

    /** The special tags that appear in any content, in {@link #SPECIAL_TAGS} order. */
    public static List<String> specialTagsIn(List<Message> dialog) {
        List<String> found = new ArrayList<>();
        for (String tag : SPECIAL_TAGS) {
            if (dialog.stream().anyMatch(m -> m.content().contains(tag))) found.add(tag);
        }
        return found;
    }

    private EncodedDialog encode(List<Message> original, List<Message> turns) {
        Tokens out = new Tokens();
        for (int i = 0; i + 1 < turns.size(); i += 2) {
            String prompt = B_INST + " " + PythonStrings.strip(turns.get(i).content()) + " " + E_INST;
            String exchange = prompt + " " + PythonStrings.strip(turns.get(i + 1).content()) + " ";
            int[] ids = tokenizer.encode(exchange, true, true);
            // The answer starts where the prompt's own tokens stop matching: with Llama's vocabulary
            // no piece spans "]" and the following "▁", so that is right after "[/INST]".
            int answerStart = commonPrefixLength(ids, tokenizer.encode(prompt, true, false));
            out.add(ids, answerStart);
        }
        if (turns.size() % 2 == 1) {
            String prompt = B_INST + " " + PythonStrings.strip(turns.getLast().content()) + " " + E_INST;
            int[] ids = tokenizer.encode(prompt, true, false);
            out.add(ids, ids.length);
        }
        return new EncodedDialog(out.ids(), out.mask(), specialTagsIn(original));
    }

    private static int commonPrefixLength(int[] a, int[] b) {
        int n = Math.min(a.length, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }

    /**
     * Checks Meta's rules and folds the system message into the first user message: roles
     * user, assistant, user, ... after an optional system message.
     */
    static List<Message> fold(List<Message> dialog) {
        if (dialog.isEmpty()) throw new IllegalArgumentException("the dialog is empty");
        List<Message> turns = new ArrayList<>(dialog);
        int offset = 0;
        if (turns.getFirst().role() == Role.SYSTEM) {
            if (turns.size() < 2 || turns.get(1).role() != Role.USER) {
                throw new IllegalArgumentException("the system message (message 0) must be followed by a user message");
            }
            String folded = B_SYS + turns.get(0).content() + E_SYS + turns.get(1).content();
            turns.subList(0, 2).clear();
            turns.addFirst(new Message(Role.USER, folded));
            offset = 1;
        }
        for (int i = 0; i < turns.size(); i++) {
            Role expected = i % 2 == 0 ? Role.USER : Role.ASSISTANT;
            if (turns.get(i).role() != expected) {
                throw new IllegalArgumentException("message " + (i + offset) + " is from the "
                        + turns.get(i).role().wireName() + ", expected the " + expected.wireName()
                        + ": roles must alternate user/assistant (after an optional first system message)");
            }
        }
        return turns;
    }

    /** Ids and mask growing exchange by exchange. */
    private static final class Tokens {
        private int[] ids = new int[64];
        private boolean[] mask = new boolean[64];
        private int size;

        void add(int[] tokens, int answerStart) {
            if (size + tokens.length > ids.length) {
                int capacity = Math.max(ids.length * 2, size + tokens.length);
                ids = Arrays.copyOf(ids, capacity);
                mask = Arrays.copyOf(mask, capacity);
            }
            System.arraycopy(tokens, 0, ids, size, tokens.length);
            Arrays.fill(mask, size + answerStart, size + tokens.length, true);
            size += tokens.length;
        }

        int[] ids() { return Arrays.copyOf(ids, size); }

        boolean[] mask() { return Arrays.copyOf(mask, size); }
    }
}
