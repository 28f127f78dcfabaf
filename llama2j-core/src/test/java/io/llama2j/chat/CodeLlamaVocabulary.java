package io.llama2j.chat;

import io.llama2j.tokenizer.PieceType;
import io.llama2j.tokenizer.Vocabulary;

import java.util.Arrays;
import java.util.List;

/**
 * Test fixture: a Code Llama-like vocabulary, Llama 2's with the infill pieces appended after it
 * (ids 32000.. in Code Llama's tokenizer.model order: ▁&lt;PRE&gt;, ▁&lt;MID&gt;, ▁&lt;SUF&gt;, ▁&lt;EOT&gt;).
 */
public final class CodeLlamaVocabulary {
    public static final List<String> INFILL_PIECES = List.of(InfillFormat.PREFIX_PIECE, InfillFormat.MIDDLE_PIECE,
            InfillFormat.SUFFIX_PIECE, InfillFormat.END_OF_TEXT_PIECE);

    private CodeLlamaVocabulary() {}

    /** {@code v} with the four infill pieces appended as control pieces. */
    public static Vocabulary of(Vocabulary v) {
        return withPieces(v, INFILL_PIECES);
    }

    /** {@code v} with {@code added} appended as control pieces. */
    public static Vocabulary withPieces(Vocabulary v, List<String> added) {
        int n = v.size();
        String[] pieces = Arrays.copyOf(v.pieces(), n + added.size());
        float[] scores = Arrays.copyOf(v.scores(), n + added.size());
        PieceType[] types = Arrays.copyOf(v.types(), n + added.size());
        for (int i = 0; i < added.size(); i++) {
            pieces[n + i] = added.get(i);
            types[n + i] = PieceType.CONTROL;
        }
        return new Vocabulary("code-llama-test", pieces, scores, types, v.unkId(), v.bosId(), v.eosId(),
                v.normalization(), v.byteFallback(), v.unkSurface(), v.addBos());
    }
}
