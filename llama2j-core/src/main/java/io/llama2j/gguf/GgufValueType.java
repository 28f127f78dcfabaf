package io.llama2j.gguf;

/**
 * The value types of GGUF metadata, numbered as the GGUF spec numbers them
 * (ggml docs/gguf.md, {@code gguf_metadata_value_type}). The byte size is the encoded size of
 * one value, 0 for the variable-length STRING and ARRAY.
 *
 * <p>Java representation in {@link GgufFile#metadata()}: UINT8, INT8, UINT16, INT16 and INT32 as
 * Integer (unsigned types keep their unsigned value), UINT32, INT64 and UINT64 as Long (UINT64
 * values above Long.MAX_VALUE wrap to negative numbers; {@link GgufFile#getLong} rejects them),
 * FLOAT32 as Float, FLOAT64 as Double, BOOL as Boolean, STRING as String. Arrays are Java arrays
 * of the same families: int[], long[], float[], double[], boolean[], String[], and Object[] for
 * arrays of arrays.
 */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, 0),
    ARRAY(9, 0),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private final int id;
    private final int byteSize;

    GgufValueType(int id, int byteSize) {
        this.id = id;
        this.byteSize = byteSize;
    }

    /** The number the file stores for this type. */
    public int id() { return id; }

    /** Encoded bytes of one value; 0 for STRING and ARRAY, whose size depends on the value. */
    public int byteSize() { return byteSize; }

    /** The smallest possible encoding of one value (a string or array header is 8 or 12 bytes). */
    int minEncodedSize() {
        return switch (this) {
            case STRING -> Long.BYTES;
            case ARRAY -> Integer.BYTES + Long.BYTES;
            default -> byteSize;
        };
    }

    boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** The type with this id, or null when the id is not a GGUF value type. */
    public static GgufValueType fromId(int id) {
        for (GgufValueType t : values()) {
            if (t.id == id) return t;
        }
        return null;
    }
}
