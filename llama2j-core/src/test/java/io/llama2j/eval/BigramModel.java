package io.llama2j.eval;

import io.llama2j.model.Llama;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.tensor.F32Tensor;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tokenizer.PieceType;
import io.llama2j.tokenizer.Tokenizer;
import io.llama2j.tokenizer.Vocabulary;

import java.util.Arrays;

/**
 * Test fixture: a real {@link Llama} whose next-token probabilities are known exactly, because
 * it is a bigram model. Every attention output (wo) and FFN output (w2) is zero, so the residual
 * stream stays the token's embedding; embeddings are one-hot, so after the final RmsNorm the
 * hidden state is e_i / sqrt(1/dim + eps), and the output matrix is scaled by that factor to
 * make logits[j] = table[i][j]. The tokenizer has one piece per character (no merges), so text
 * maps to ids character by character: id = {@link #FIRST_CHARACTER_ID} + index in the alphabet.
 */
final class BigramModel {
    static final int UNK = 0, BOS = 1, EOS = 2;
    static final int FIRST_CHARACTER_ID = 3;
    private static final float EPS = 1e-5f;

    final Llama llama;
    final Tokenizer tokenizer;
    final String alphabet;

    private BigramModel(Llama llama, Tokenizer tokenizer, String alphabet) {
        this.llama = llama;
        this.tokenizer = tokenizer;
        this.alphabet = alphabet;
    }

    /** Token id of a character of the alphabet (a space is the piece '▁'). */
    int id(char c) {
        int index = alphabet.indexOf(c);
        if (index < 0) throw new IllegalArgumentException("'" + c + "' is not in the alphabet " + alphabet);
        return FIRST_CHARACTER_ID + index;
    }

    int vocabSize() { return FIRST_CHARACTER_ID + alphabet.length(); }

    /** A model with logits[next] = logits.get(previous, next); unset entries are 0. */
    static BigramModel of(String alphabet, LogitTable logits) {
        int vocab = FIRST_CHARACTER_ID + alphabet.length();
        int dim = vocab % 2 == 0 ? vocab : vocab + 1; // one head whose size is even for RoPE
        int hidden = 2;
        LlamaConfig config = new LlamaConfig(dim, hidden, 1, 1, 1, vocab, 256, EPS, 10000f);

        float[] embedding = new float[vocab * dim];
        for (int i = 0; i < vocab; i++) embedding[i * dim + i] = 1f;
        // RmsNorm(e_i) = e_i / sqrt(1/dim + eps); multiply back so that the logits are the table.
        float normalizedOne = (float) (1.0 / Math.sqrt(1.0 / dim + EPS));
        float[] output = new float[vocab * dim];
        for (int previous = 0; previous < vocab; previous++) {
            for (int next = 0; next < vocab; next++) {
                output[next * dim + previous] = logits.get(previous, next) / normalizedOne;
            }
        }
        FloatTensor zeroSquare = F32Tensor.of(new float[dim * dim]);
        FloatTensor zeroUp = F32Tensor.of(new float[hidden * dim]);
        FloatTensor zeroDown = F32Tensor.of(new float[dim * hidden]);
        FloatTensor ones = ones(dim);
        LlamaWeights weights = new LlamaWeights(F32Tensor.of(embedding), new FloatTensor[]{ones},
                new FloatTensor[]{zeroSquare}, new FloatTensor[]{zeroSquare}, new FloatTensor[]{zeroSquare},
                new FloatTensor[]{zeroSquare}, new FloatTensor[]{ones},
                new FloatTensor[]{zeroUp}, new FloatTensor[]{zeroDown}, new FloatTensor[]{zeroUp},
                ones, F32Tensor.of(output));
        return new BigramModel(new Llama(config, weights), characterTokenizer(alphabet), alphabet);
    }

    /**
     * A model whose next-token probabilities are given per previous character: {@code rows} maps a
     * previous character to "next character → probability"; the rest of each row's mass is spread
     * evenly over the other tokens (rows not given are uniform). Logits are the log-probabilities,
     * so the softmax gives back exactly these numbers.
     */
    static BigramModel withProbabilities(String alphabet, java.util.Map<Character, java.util.Map<Character, Double>> rows) {
        int vocab = FIRST_CHARACTER_ID + alphabet.length();
        double[][] p = new double[vocab][vocab];
        for (int previous = 0; previous < vocab; previous++) {
            java.util.Map<Character, Double> row = previous >= FIRST_CHARACTER_ID
                    ? rows.getOrDefault(alphabet.charAt(previous - FIRST_CHARACTER_ID), java.util.Map.of()) : java.util.Map.of();
            double given = 0;
            for (var e : row.entrySet()) {
                p[previous][FIRST_CHARACTER_ID + alphabet.indexOf(e.getKey())] = e.getValue();
                given += e.getValue();
            }
            double rest = (1 - given) / (vocab - row.size());
            for (int next = 0; next < vocab; next++) {
                if (next < FIRST_CHARACTER_ID || !row.containsKey(alphabet.charAt(next - FIRST_CHARACTER_ID))) p[previous][next] = rest;
            }
        }
        return of(alphabet, (previous, next) -> (float) Math.log(p[previous][next]));
    }

    private static FloatTensor ones(int n) {
        float[] v = new float[n];
        Arrays.fill(v, 1f);
        return F32Tensor.of(v);
    }

    static Tokenizer characterTokenizer(String alphabet) {
        int vocab = FIRST_CHARACTER_ID + alphabet.length();
        String[] pieces = new String[vocab];
        PieceType[] types = new PieceType[vocab];
        pieces[UNK] = "<unk>";
        types[UNK] = PieceType.UNKNOWN;
        pieces[BOS] = "<s>";
        types[BOS] = PieceType.CONTROL;
        pieces[EOS] = "</s>";
        types[EOS] = PieceType.CONTROL;
        for (int i = 0; i < alphabet.length(); i++) {
            char c = alphabet.charAt(i);
            pieces[FIRST_CHARACTER_ID + i] = c == ' ' ? "\u2581" : String.valueOf(c);
            types[FIRST_CHARACTER_ID + i] = PieceType.NORMAL;
        }
        Vocabulary v = new Vocabulary("bigram-test", pieces, new float[vocab], types, UNK, BOS, EOS,
                new Vocabulary.Normalization(false, false, true), false, null, true);
        return Tokenizer.of(v);
    }

    /** logits of token {@code next} after token {@code previous}. */
    @FunctionalInterface
    interface LogitTable {
        float get(int previous, int next);
    }
}
