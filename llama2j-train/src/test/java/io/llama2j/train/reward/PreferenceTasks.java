package io.llama2j.train.reward;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A synthetic preference task whose right answer is checkable: a prompt of random "word" tokens,
 * then a response; the chosen response contains the required word, the rejected one does not.
 * Token ids: 0 pad, 1 BOS, 2 EOS, 3 the separator between prompt and response, 4 the required
 * word, 5..vocab−1 other words.
 */
public final class PreferenceTasks {
    public static final int PAD = 0, BOS = 1, EOS = 2, SEPARATOR = 3, REQUIRED_WORD = 4, FIRST_WORD = 5;

    private PreferenceTasks() {}

    public static List<EncodedPreference> requiredWordPairs(int count, int vocab, int promptLength, int answerLength, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        PreferenceRating[] ratings = PreferenceRating.values();
        List<EncodedPreference> pairs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] prompt = new int[promptLength];
            for (int t = 0; t < promptLength; t++) prompt[t] = FIRST_WORD + random.nextInt(vocab - FIRST_WORD);
            int[] rejectedAnswer = words(answerLength, vocab, random);
            int[] chosenAnswer = rejectedAnswer.clone(); // same words, one of them replaced by the required word
            chosenAnswer[random.nextInt(answerLength)] = REQUIRED_WORD;
            pairs.add(pair(prompt, chosenAnswer, rejectedAnswer, ratings[i % ratings.length]));
        }
        return pairs;
    }

    public static int[] words(int n, int vocab, SplittableRandom random) {
        int[] w = new int[n];
        for (int t = 0; t < n; t++) w[t] = FIRST_WORD + random.nextInt(vocab - FIRST_WORD);
        return w;
    }

    static EncodedPreference pair(int[] prompt, int[] chosen, int[] rejected, PreferenceRating rating) {
        return new EncodedPreference(sequence(prompt, chosen), answerMask(prompt, chosen), sequence(prompt, rejected),
                answerMask(prompt, rejected), rating);
    }

    /** BOS prompt SEPARATOR answer EOS. */
    public static int[] sequence(int[] prompt, int[] answer) {
        int[] ids = new int[prompt.length + answer.length + 3];
        ids[0] = BOS;
        System.arraycopy(prompt, 0, ids, 1, prompt.length);
        ids[prompt.length + 1] = SEPARATOR;
        System.arraycopy(answer, 0, ids, prompt.length + 2, answer.length);
        ids[ids.length - 1] = EOS;
        return ids;
    }

    /** The answer's tokens and EOS are the response. */
    public static boolean[] answerMask(int[] prompt, int[] answer) {
        boolean[] mask = new boolean[prompt.length + answer.length + 3];
        for (int t = prompt.length + 2; t < mask.length; t++) mask[t] = true;
        return mask;
    }
}
