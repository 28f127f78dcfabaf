package io.llama2j.gguf;

import io.llama2j.tensor.GgmlType;

import java.util.Arrays;

/**
 * One tensor-info record of a GGUF file.
 *
 * @param name   tensor name, e.g. {@code blk.0.attn_q.weight}
 * @param type   storage type of the elements
 * @param shape  dimensions in GGUF/ggml "ne" order: shape[0] is the innermost (contiguous)
 *               dimension, so a [out, in] matrix has shape {in, out}
 * @param offset byte offset of the data from the start of the file's data section
 */
public record GgufTensorInfo(String name, GgmlType type, long[] shape, long offset) {

    public GgufTensorInfo {
        shape = shape.clone();
    }

    @Override public long[] shape() { return shape.clone(); }

    /** Number of elements: the product of the dimensions. */
    public long elementCount() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Bytes of data the tensor takes in the file. */
    public long byteSize() { return type.byteSize(elementCount()); }

    @Override public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && type == t.type
                && Arrays.equals(shape, t.shape) && offset == t.offset;
    }

    @Override public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(shape); }

    @Override public String toString() {
        return name + " " + type + " " + Arrays.toString(shape) + " @" + offset;
    }
}
