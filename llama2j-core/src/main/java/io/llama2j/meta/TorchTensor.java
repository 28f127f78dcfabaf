package io.llama2j.meta;

import java.util.Arrays;

/** A tensor as data.pkl describes it: a view of a storage at an element offset, with size and stride. */
record TorchTensor(TorchStorageRef storage, long storageOffset, long[] shape, long[] stride) {

    long elements() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** True for row-major contiguous layout, the only one a mapped weight can use directly. */
    boolean isContiguous() {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) return false;
            expected = Math.multiplyExact(expected, shape[i]);
        }
        return true;
    }

    @Override public String toString() {
        return storage.dtype() + Arrays.toString(shape) + " stride " + Arrays.toString(stride) + " in storage "
                + storage.key() + " at " + storageOffset;
    }
}
