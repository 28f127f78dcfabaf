package io.llama2j.tokenizer;

/**
 * Decodes ids one at a time, as they are generated, and hands out text only when it is
 * complete: bytes of a character split over several {@code <0xNN>} pieces are held back until
 * the character is whole. The concatenation of every {@link #accept} result and the final
 * {@link #flush()} equals {@link Tokenizer#decode(int[])} of the same ids.
 *
 * <p>Follows SentencePiece's {@code SentencePieceProcessor::Decode}: control pieces decode to
 * nothing; the first piece that decodes to text loses its leading '▁' (the dummy prefix; with
 * remove_extra_whitespaces every leading '▁' piece does); '▁' becomes a space; runs of byte pieces are decoded as UTF-8 where each malformed byte becomes U+FFFD.
 * Not thread-safe: one decoder per generation.
 */
public final class StreamingDecoder {
    private static final char SPACE_SYMBOL = '\u2581';
    private static final String REPLACEMENT = "\uFFFD";
    /** The longest UTF-8 sequence. */
    private static final int MAX_UTF8_BYTES = 4;

    private final Tokenizer tokenizer;
    private final byte[] pending = new byte[MAX_UTF8_BYTES];
    private int pendingLength;
    /** SentencePiece's is_bos_ws: a leading '▁' here is the dummy prefix and is dropped. */
    private boolean expectBosSpace = true;
    /** SentencePiece's bos_ws_seen: the previous piece dropped the dummy prefix. */
    private boolean bosSpaceSeen;
    private boolean textEmitted;

    StreamingDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Takes the next id; returns the text that became complete (possibly empty). */
    public String accept(int id) {
        tokenizer.checkId(id);
        StringBuilder out = new StringBuilder();
        PieceType type = tokenizer.type(id);
        if (type == PieceType.BYTE) {
            pending[pendingLength++] = (byte) Vocabulary.byteValue(tokenizer.piece(id));
            textEmitted = true; // every byte run decodes to at least one character
            drain(out, false);
            return out.toString();
        }
        drain(out, true);
        if (bosSpaceSeen || textEmitted) expectBosSpace = false;
        bosSpaceSeen = false;
        switch (type) {
            case CONTROL -> { }
            case UNKNOWN -> out.append(tokenizer.vocabulary().unkSurface());
            default -> {
                String piece = tokenizer.piece(id);
                Vocabulary.Normalization n = tokenizer.vocabulary().normalization();
                int from = 0;
                if (expectBosSpace && (n.addDummyPrefix() || n.removeExtraWhitespaces())
                        && piece.charAt(0) == SPACE_SYMBOL) {
                    from = 1;
                    // Only one dummy-prefix space is dropped, unless extra whitespace was removed
                    // when encoding, in which case every leading space goes.
                    bosSpaceSeen = !n.removeExtraWhitespaces();
                }
                out.append(piece, from, piece.length());
                for (int i = out.length() - (piece.length() - from); i < out.length(); i++) {
                    if (out.charAt(i) == SPACE_SYMBOL) out.setCharAt(i, ' ');
                }
            }
        }
        if (!out.isEmpty()) textEmitted = true;
        return out.toString();
    }

    /** The text still held back (an incomplete UTF-8 sequence, as U+FFFD per byte). */
    public String flush() {
        StringBuilder out = new StringBuilder();
        drain(out, true);
        return out.toString();
    }

    /**
     * Decodes the pending bytes as SentencePiece does (util.h DecodeUTF8): a valid sequence
     * becomes its character, a malformed lead byte becomes U+FFFD and decoding goes on at the next
     * byte. An incomplete but so far valid sequence waits for more bytes unless {@code end}.
     */
    private void drain(StringBuilder out, boolean end) {
        while (pendingLength > 0) {
            int lead = pending[0] & 0xFF;
            int needed = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3
                    : (lead & 0xF8) == 0xF0 ? 4 : 0;
            if (needed > pendingLength) {
                boolean allTrail = true;
                for (int i = 1; i < pendingLength; i++) allTrail &= isTrail(pending[i]);
                if (!end && allTrail) return;
                needed = 0;
            }
            int consumed = 1;
            if (needed == 1) {
                out.append((char) lead);
            } else if (needed == 0) {
                out.append(REPLACEMENT);
            } else {
                int cp = codePoint(needed);
                if (cp >= 0) {
                    out.appendCodePoint(cp);
                    consumed = needed;
                } else {
                    out.append(REPLACEMENT);
                }
            }
            System.arraycopy(pending, consumed, pending, 0, pendingLength - consumed);
            pendingLength -= consumed;
        }
    }

    /** The code point of the first {@code length} pending bytes, or -1 when they are malformed. */
    private int codePoint(int length) {
        int[] leadMask = {0, 0, 0x1F, 0x0F, 0x07};
        int[] minimum = {0, 0, 0x80, 0x800, 0x10000};
        int cp = pending[0] & leadMask[length];
        for (int i = 1; i < length; i++) {
            if (!isTrail(pending[i])) return -1;
            cp = cp << 6 | (pending[i] & 0x3F);
        }
        boolean validCodePoint = cp < 0xD800 || (cp >= 0xE000 && cp <= 0x10FFFF);
        return cp >= minimum[length] && validCodePoint ? cp : -1;
    }

    private static boolean isTrail(byte b) {
        return (b & 0xC0) == 0x80;
    }
}
