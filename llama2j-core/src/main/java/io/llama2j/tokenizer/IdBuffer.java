package io.llama2j.tokenizer;

import java.util.Arrays;

/** A growable int array for token ids (avoids boxing in the encoder). */
final class IdBuffer {
    private int[] ids;
    private int size;

    IdBuffer(int capacity) {
        ids = new int[Math.max(capacity, 8)];
    }

    void add(int id) {
        if (size == ids.length) ids = Arrays.copyOf(ids, size * 2);
        ids[size++] = id;
    }

    int size() {
        return size;
    }

    /** Replaces every run of consecutive {@code id}s from index {@code from} on by a single one. */
    void collapseRuns(int from, int id) {
        int write = from;
        for (int read = from; read < size; read++) {
            if (ids[read] == id && write > from && ids[write - 1] == id) continue;
            ids[write++] = ids[read];
        }
        size = write;
    }

    int[] toArray() {
        return Arrays.copyOf(ids, size);
    }
}
