package io.llama2j.tensor;

import java.lang.foreign.MemorySegment;

/** Picks the {@link FloatTensor} class that reads a storage type from a memory segment. */
public final class FloatTensors {
    private FloatTensors() {}

    /**
     * A tensor of {@code elements} values of {@code type} stored in {@code data} (ggml block
     * layout). The segment must hold exactly {@code type.byteSize(elements)} bytes.
     */
    public static FloatTensor of(GgmlType type, MemorySegment data, long elements) {
        long expected = type.byteSize(elements);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException(elements + " values of " + type + " take " + expected
                    + " bytes, the segment has " + data.byteSize());
        }
        return switch (type) {
            case F32 -> new F32Tensor(data);
            default -> throw new IllegalArgumentException("tensors of type " + type + " are not supported");
        };
    }
}
