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
            case F16 -> new F16Tensor(data, elements);
            case BF16 -> new BF16Tensor(data, elements);
            case Q8_0 -> new Q8_0Tensor(data, elements);
            case Q4_0 -> new Q4_0Tensor(data, elements);
            case Q4_1 -> new Q4_1Tensor(data, elements);
            case Q4_K -> new Q4_KTensor(data, elements);
            case Q5_K -> new Q5_KTensor(data, elements);
            case Q6_K -> new Q6_KTensor(data, elements);
            default -> throw new IllegalArgumentException("tensors of type " + type
                    + " are not supported (llama2j reads F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K)");
        };
    }
}
