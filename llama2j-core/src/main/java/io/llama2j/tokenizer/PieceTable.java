package io.llama2j.tokenizer;

import java.util.Map;

/**
 * Piece text to id, looked up by a character range of the text being encoded so that the BPE
 * loop allocates no substrings. Open addressing with linear probing; hashes are
 * {@link String#hashCode()}'s polynomial so a range hashes like the equal string.
 */
final class PieceTable {
    private final String[] keys;
    private final int[] ids;
    private final int mask;

    PieceTable(Map<String, Integer> pieces) {
        int capacity = Integer.highestOneBit(Math.max(4, pieces.size() * 2 - 1)) << 1;
        keys = new String[capacity];
        ids = new int[capacity];
        mask = capacity - 1;
        for (var e : pieces.entrySet()) {
            int slot = spread(e.getKey().hashCode()) & mask;
            while (keys[slot] != null) slot = (slot + 1) & mask;
            keys[slot] = e.getKey();
            ids[slot] = e.getValue();
        }
    }

    /** The id of the piece equal to {@code text[start, end)}, or -1. */
    int get(String text, int start, int end) {
        int h = 0;
        for (int i = start; i < end; i++) h = 31 * h + text.charAt(i);
        int length = end - start;
        for (int slot = spread(h) & mask; ; slot = (slot + 1) & mask) {
            String key = keys[slot];
            if (key == null) return -1;
            if (key.length() == length && key.regionMatches(0, text, start, length)) return ids[slot];
        }
    }

    int get(String piece) {
        return get(piece, 0, piece.length());
    }

    private static int spread(int h) {
        return h ^ (h >>> 16);
    }
}
