package io.llama2j.safetensors;

import io.llama2j.tensor.GgmlType;

/**
 * Element types a safetensors header may name (the format's full list, so that offsets of any
 * valid file can be checked), and the storage type llama2j reads each as. Only F32, F16 and BF16
 * are weights llama2j can compute with; the rest have no {@link #ggmlType()}.
 */
public enum SafetensorsDType {
    BOOL(1, null), U8(1, null), I8(1, null), F8_E5M2(1, null), F8_E4M3(1, null),
    I16(2, null), U16(2, null), F16(2, GgmlType.F16), BF16(2, GgmlType.BF16),
    I32(4, null), U32(4, null), F32(4, GgmlType.F32),
    F64(8, null), I64(8, null), U64(8, null);

    private final int bytes;
    private final GgmlType ggmlType;

    SafetensorsDType(int bytes, GgmlType ggmlType) {
        this.bytes = bytes;
        this.ggmlType = ggmlType;
    }

    /** Bytes per element. */
    public int bytes() { return bytes; }

    /** The llama2j storage type, or null when llama2j cannot use tensors of this dtype as weights. */
    public GgmlType ggmlType() { return ggmlType; }

    /** The dtype named {@code name} in a header, or null when the name is not a safetensors dtype. */
    public static SafetensorsDType byName(String name) {
        for (SafetensorsDType d : values()) {
            if (d.name().equals(name)) return d;
        }
        return null;
    }

    /** The dtype that stores a llama2j weight type, for writers. */
    public static SafetensorsDType of(GgmlType type) {
        return switch (type) {
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
            default -> throw new IllegalArgumentException("safetensors cannot store " + type
                    + " tensors; write F32, F16 or BF16 (quantized types belong in GGUF)");
        };
    }
}
