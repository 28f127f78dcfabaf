package io.llama2j.train.sft;

import io.llama2j.chat.ChatFormat;
import io.llama2j.chat.EncodedDialog;
import io.llama2j.chat.Message;
import io.llama2j.chat.Role;

import java.util.ArrayList;
import java.util.List;

/**
 * SFT examples packed into fixed-length training sequences (paper §3.1: "concatenate all the
 * prompts and answers from the training set" to fill the context, with the loss "zeroed out on
 * tokens from the user prompt"). Each conversation is formatted by {@link ChatFormat}; its
 * answer mask (assistant tokens and EOS) becomes the loss mask of the positions that predict
 * them. Whole conversations are placed one after another while they fit in seqLen + 1 tokens;
 * BOS/EOS separate them. A conversation longer than that is cut to its first seqLen + 1 tokens.
 * The rest of a sequence is padding (token 0, masked out).
 *
 * @param inputs  per sequence, seqLen input ids
 * @param targets per sequence, seqLen next-token ids
 * @param mask    per sequence, seqLen loss weights (1 on answer tokens, 0 elsewhere)
 */
public record PackedSequences(int seqLen, List<int[]> inputs, List<int[]> targets, List<float[]> mask, int truncated,
                              long answerTokens) {
    /** The token id that fills the end of a sequence; never trained on. */
    public static final int PADDING = 0;

    public int size() { return inputs.size(); }

    /** Formats and packs {@code conversations}; assistant answers with trained = false are masked out (GAtt). */
    public static PackedSequences pack(List<Conversations.Conversation> conversations, ChatFormat format, int seqLen) {
        if (seqLen < 2) throw new IllegalArgumentException("SFT sequences need at least 2 tokens, found " + seqLen);
        List<int[]> ins = new ArrayList<>(), outs = new ArrayList<>();
        List<float[]> masks = new ArrayList<>();
        int window = seqLen + 1, truncated = 0;
        long answers = 0;
        int[] ids = new int[window];
        boolean[] trained = new boolean[window];
        int used = 0;
        for (Conversations.Conversation c : conversations) {
            EncodedDialog d = format.encodeConversation(c.messages());
            boolean[] mask = answerMask(d, c);
            int length = d.length();
            if (length > window) {
                length = window;
                truncated++;
            }
            if (used + length > window) {
                flush(ids, trained, used, seqLen, ins, outs, masks);
                used = 0;
            }
            System.arraycopy(d.ids(), 0, ids, used, length);
            System.arraycopy(mask, 0, trained, used, length);
            used += length;
        }
        if (used > 1) flush(ids, trained, used, seqLen, ins, outs, masks);
        for (float[] m : masks) for (float x : m) answers += (long) x;
        return new PackedSequences(seqLen, List.copyOf(ins), List.copyOf(outs), List.copyOf(masks), truncated, answers);
    }

    /** ChatFormat's answer mask with the answers of untrained assistant messages cleared (the k-th true run is the k-th answer). */
    static boolean[] answerMask(EncodedDialog d, Conversations.Conversation c) {
        boolean[] mask = d.answerMask().clone();
        List<Boolean> answerTrained = new ArrayList<>();
        for (int i = 0; i < c.messages().size(); i++) {
            Message m = c.messages().get(i);
            if (m.role() == Role.ASSISTANT) answerTrained.add(c.trained().get(i));
        }
        boolean[] answers = d.answerMask();
        int answer = -1;
        for (int i = 0; i < mask.length; i++) {
            if (answers[i] && (i == 0 || !answers[i - 1])) answer++;
            if (answers[i] && !answerTrained.get(answer)) mask[i] = false;
        }
        return mask;
    }

    private static void flush(int[] ids, boolean[] trained, int used, int seqLen,
                              List<int[]> ins, List<int[]> outs, List<float[]> masks) {
        int[] in = new int[seqLen], out = new int[seqLen];
        float[] m = new float[seqLen];
        java.util.Arrays.fill(in, PADDING);
        java.util.Arrays.fill(out, PADDING);
        for (int t = 0; t + 1 < used; t++) {
            in[t] = ids[t];
            out[t] = ids[t + 1];
            m[t] = trained[t + 1] ? 1f : 0f; // position t predicts token t + 1: trained when that token is an answer's
        }
        ins.add(in);
        outs.add(out);
        masks.add(m);
    }
}
