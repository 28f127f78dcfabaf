package io.llama2j.safetensors;

import java.util.Arrays;

/**
 * One tensor entry of a safetensors header: its dtype, shape and the byte range
 * [begin, end) relative to the start of the data section (the byte after the header).
 */
public record SafetensorsTensorInfo(String name, SafetensorsDType dtype, long[] shape, long begin, long end) {

    public SafetensorsTensorInfo {
        shape = shape.clone();
    }

    @Override public long[] shape() { return shape.clone(); }

    /** Number of elements: the product of the shape (1 for a scalar). */
    public long elements() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    public long byteSize() { return end - begin; }

    @Override public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }

    @Override public boolean equals(Object o) {
        return o instanceof SafetensorsTensorInfo t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
    }

    @Override public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }
}
