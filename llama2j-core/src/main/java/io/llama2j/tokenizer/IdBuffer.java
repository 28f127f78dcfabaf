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

    int[] toArray() {
        return Arrays.copyOf(ids, size);
    }
}
