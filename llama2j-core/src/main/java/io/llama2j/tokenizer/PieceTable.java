package io.llama2j.tokenizer;

import java.util.Map;

/**
 * Piece text to id, looked up by a character range of the text being encoded so that the BPE
 * loop allocates no substrings. Open addressing with linear probing; each slot's hash and id
 * share one long so that a probe touches one array, and the characters are compared only when
 * the hashes agree. Hashes are {@link String#hashCode()}'s polynomial, so a range hashes like the
 * equal string.
 */
final class PieceTable {
    /** Per slot: hash in the high 32 bits, id + 1 in the low 32 bits; 0 = empty. */
    private final long[] entries;
    private final char[][] keys;
    private final int mask;
    private final int shift;
    private final int maxLength;

    PieceTable(Map<String, Integer> pieces) {
        int capacity = Integer.highestOneBit(Math.max(4, pieces.size() * 2 - 1)) << 1;
        entries = new long[capacity];
        keys = new char[capacity][];
        mask = capacity - 1;
        shift = Integer.numberOfLeadingZeros(capacity) + 1;
        int longest = 0;
        for (var e : pieces.entrySet()) {
            int h = e.getKey().hashCode();
            int slot = spread(h);
            while (entries[slot] != 0) slot = (slot + 1) & mask;
            entries[slot] = (long) h << 32 | (e.getValue() + 1L);
            keys[slot] = e.getKey().toCharArray();
            longest = Math.max(longest, e.getKey().length());
        }
        maxLength = longest;
    }

    /** The id of the piece equal to {@code text[start, end)}, or -1. */
    int get(char[] text, int start, int end) {
        int length = end - start;
        if (length > maxLength) return -1;
        int h = 0;
        for (int i = start; i < end; i++) h = 31 * h + text[i];
        for (int slot = spread(h); ; slot = (slot + 1) & mask) {
            long entry = entries[slot];
            if (entry == 0) return -1;
            if ((int) (entry >>> 32) == h && sameChars(keys[slot], text, start, length)) {
                return (int) entry - 1;
            }
        }
    }

    int get(String piece) {
        return get(piece.toCharArray(), 0, piece.length());
    }

    private static boolean sameChars(char[] key, char[] text, int start, int length) {
        if (key.length != length) return false;
        for (int i = 0; i < length; i++) {
            if (key[i] != text[start + i]) return false;
        }
        return true;
    }

    /**
     * Fibonacci hashing (Knuth, TAOCP 6.4): String's polynomial hash puts pieces that differ in
     * their last character at neighbouring values, which linear probing would turn into long runs.
     */
    private int spread(int h) {
        return (h * 0x9E3779B9) >>> shift;
    }
}
