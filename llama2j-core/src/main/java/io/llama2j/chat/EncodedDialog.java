package io.llama2j.chat;

import java.util.List;

/**
 * A dialog in Llama 2 chat tokens.
 *
 * @param ids         the token ids, BOS/EOS included, as Meta's chat_completion builds them
 * @param answerMask  per token: true for assistant answer tokens (each completed answer and its
 *                    EOS), the only tokens SFT computes a loss on (paper §3.1)
 * @param specialTags the chat tags ([INST], [/INST], &lt;&lt;SYS&gt;&gt;, &lt;&lt;/SYS&gt;&gt;) found inside message
 *                    contents; Meta answers such prompts with {@link ChatFormat#UNSAFE_ERROR}
 */
public record EncodedDialog(int[] ids, boolean[] answerMask, List<String> specialTags) {
    public EncodedDialog {
        if (ids.length != answerMask.length) {
            throw new IllegalArgumentException(ids.length + " ids but " + answerMask.length + " mask entries");
        }
        specialTags = List.copyOf(specialTags);
    }

    public int length() {
        return ids.length;
    }

    /** Whether some content contained a chat tag (Meta's "unsafe request"). */
    public boolean hasSpecialTags() {
        return !specialTags.isEmpty();
    }

    /** How many tokens are answer tokens. */
    public int answerTokenCount() {
        int n = 0;
        for (boolean b : answerMask) if (b) n++;
        return n;
    }
}
