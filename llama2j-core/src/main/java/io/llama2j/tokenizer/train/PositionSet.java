package io.llama2j.tokenizer.train;

import java.util.Arrays;

/**
 * The sorted set of encoded positions (word, left, right) of one BPE candidate, as a growable
 * long array: the trainer adds positions mostly in ascending order (an append), scans them in
 * order and compacts them in place, so this replaces SentencePiece's std::set without boxing.
 */
final class PositionSet {
    private static final int INITIAL_CAPACITY = 4;

    private long[] values = new long[INITIAL_CAPACITY];
    private int size;

    int size() {
        return size;
    }

    long get(int index) {
        return values[index];
    }

    /** Overwrites slot {@code index} (< size); the caller keeps the order (in-place compaction). */
    void set(int index, long value) {
        values[index] = value;
    }

    /** Keeps the first {@code newSize} values. */
    void truncate(int newSize) {
        size = newSize;
    }

    /** Adds {@code value} unless present, keeping ascending order. */
    void add(long value) {
        if (size > 0 && value <= values[size - 1]) {
            int at = Arrays.binarySearch(values, 0, size, value);
            if (at >= 0) {
                return;
            }
            insertAt(-at - 1, value);
            return;
        }
        insertAt(size, value);
    }

    private void insertAt(int index, long value) {
        if (size == values.length) {
            values = Arrays.copyOf(values, values.length * 2);
        }
        System.arraycopy(values, index, values, index + 1, size - index);
        values[index] = value;
        size++;
    }
}
