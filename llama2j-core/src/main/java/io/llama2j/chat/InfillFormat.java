package io.llama2j.chat;

import io.llama2j.tokenizer.StreamingDecoder;
import io.llama2j.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Code Llama's fill-in-the-middle prompt, exactly as Meta's reference builds it
 * (meta-llama/codellama llama/generation.py {@code infilling_prompt_tokens}, llama/tokenizer.py
 * {@code encode_infilling} / {@code decode_infilling}):
 * <ul>
 *   <li>prefix-suffix-middle: BOS, ▁&lt;PRE&gt;, encode(prefix), ▁&lt;SUF&gt;, encodeInfilling(suffix), ▁&lt;MID&gt;</li>
 *   <li>suffix-first: BOS, ▁&lt;PRE&gt;, ▁&lt;SUF&gt;, encodeInfilling(suffix), ▁&lt;MID&gt;, encode(prefix)</li>
 * </ul>
 * The model writes the middle and ends it with ▁&lt;EOT&gt;. The four ids are looked up by piece in
 * the vocabulary (Code Llama's tokenizer.model adds them after Llama 2's 32000 pieces).
 */
public final class InfillFormat {
    public static final String PREFIX_PIECE = "\u2581<PRE>";
    public static final String SUFFIX_PIECE = "\u2581<SUF>";
    public static final String MIDDLE_PIECE = "\u2581<MID>";
    public static final String END_OF_TEXT_PIECE = "\u2581<EOT>";
    /**
     * The marker encode_infilling puts before the text so that the dummy-prefix space attaches to
     * it, not to the text; the reference then drops the first two ids ("▁" and "☺").
     */
    public static final String MARKER = "\u263A";
    private static final String SPACE_PIECE = "\u2581";

    private final Tokenizer tokenizer;
    private final int prefixId;
    private final int suffixId;
    private final int middleId;
    private final int endOfTextId;

    /** @throws IllegalArgumentException when the vocabulary lacks one of the four infill pieces or BOS */
    public InfillFormat(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.prefixId = requirePiece(PREFIX_PIECE);
        this.suffixId = requirePiece(SUFFIX_PIECE);
        this.middleId = requirePiece(MIDDLE_PIECE);
        this.endOfTextId = requirePiece(END_OF_TEXT_PIECE);
        if (tokenizer.bosId() < 0) {
            throw new IllegalArgumentException(tokenizer.vocabulary().source()
                    + ": the vocabulary has no BOS piece, which an infilling prompt starts with");
        }
    }

    private int requirePiece(String piece) {
        return tokenizer.idOf(piece).orElseThrow(() -> new IllegalArgumentException(tokenizer.vocabulary().source()
                + ": the vocabulary has no \"" + piece + "\" piece: fill-in-the-middle needs a Code Llama tokenizer"
                + " (pieces " + PREFIX_PIECE + ", " + SUFFIX_PIECE + ", " + MIDDLE_PIECE + ", " + END_OF_TEXT_PIECE + ")"));
    }

    /** The prompt ids for filling in between {@code prefix} and {@code suffix}. */
    public int[] encode(String prefix, String suffix, boolean suffixFirst) {
        int[] pre = tokenizer.encode(prefix, false, false);
        int[] suf = encodeInfilling(suffix);
        int bos = tokenizer.bosId();
        IntStream ids = suffixFirst
                ? IntStream.concat(IntStream.of(bos, prefixId, suffixId),
                        IntStream.concat(Arrays.stream(suf), IntStream.concat(IntStream.of(middleId), Arrays.stream(pre))))
                : IntStream.concat(IntStream.of(bos, prefixId),
                        IntStream.concat(Arrays.stream(pre), IntStream.concat(IntStream.of(suffixId),
                                IntStream.concat(Arrays.stream(suf), IntStream.of(middleId)))));
        return ids.toArray();
    }

    /**
     * {@code text}'s ids without the dummy-prefix space (tokenizer.py encode_infilling): the ids of
     * "☺" + text after the leading "▁" and "☺".
     *
     * @throws IllegalArgumentException when the vocabulary does not encode "☺" as the pieces "▁", "☺"
     */
    public int[] encodeInfilling(String text) {
        int[] ids = tokenizer.encode(MARKER + text, false, false);
        if (ids.length < 2 || !tokenizer.piece(ids[0]).equals(SPACE_PIECE) || !tokenizer.piece(ids[1]).equals(MARKER)) {
            throw new IllegalArgumentException(tokenizer.vocabulary().source() + ": \"" + MARKER
                    + "\" + text must start with the pieces \"" + SPACE_PIECE + "\", \"" + MARKER + "\" for infilling, found "
                    + Arrays.stream(ids).limit(2).mapToObj(tokenizer::piece).toList());
        }
        return Arrays.copyOfRange(ids, 2, ids.length);
    }

    /**
     * A decoder for the generated middle that keeps its leading space (tokenizer.py
     * decode_infilling decodes "☺" first and drops it).
     */
    public StreamingDecoder middleDecoder() {
        StreamingDecoder decoder = tokenizer.streamingDecoder();
        decoder.accept(tokenizer.idOf(MARKER).orElseThrow(() -> new IllegalArgumentException(
                tokenizer.vocabulary().source() + ": the vocabulary has no \"" + MARKER + "\" piece, needed to decode a middle")));
        return decoder;
    }

    public int prefixId() { return prefixId; }

    public int suffixId() { return suffixId; }

    public int middleId() { return middleId; }

    /** The id that ends the middle (▁&lt;EOT&gt;): a stop token, with EOS. */
    public int endOfTextId() { return endOfTextId; }
}
