package io.llama2j.gguf;

import io.llama2j.tensor.GgmlType;
import io.llama2j.tensor.Quantizer;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes GGUF v3 files (little-endian) that llama.cpp and {@link GgufFile} read: metadata of
 * every GGUF value type, then tensor infos, then each tensor's data at an offset aligned to
 * {@code general.alignment} (32 unless set), in the order added.
 *
 * <p>Metadata values use the Java types {@link GgufFile#metadata()} returns (see
 * {@link GgufValueType}); arrays of arrays are Object[] whose inner arrays are written as
 * INT32/INT64/FLOAT32/FLOAT64/BOOL/STRING by their Java class. Tensor data is either raw bytes
 * in ggml's block layout (a slice of another file, say) or floats quantized by {@link Quantizer}.
 */
public final class GgufWriter {
    /** The version this writer produces. */
    public static final int VERSION = 3;
    private static final int COPY_CHUNK = 1 << 20;

    private record Value(GgufValueType type, GgufValueType elementType, Object value) {}

    private record Tensor(String name, GgmlType type, long[] shape, long byteSize, TensorContent content) {}

    /**
     * Produces a tensor's bytes (in its type's block layout) when the file is written, so that a
     * model larger than memory can be written tensor by tensor.
     */
    @FunctionalInterface
    public interface TensorContent {
        /** Writes exactly the tensor's byte size to {@code out}. */
        void writeTo(OutputStream out) throws IOException;
    }

    private final Map<String, Value> metadata = new LinkedHashMap<>();
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    /** Sets a scalar value (a later put of the same key replaces it). */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        requireKey(key);
        if (type == GgufValueType.ARRAY) {
            throw new IllegalArgumentException("metadata " + key + ": use putArray for arrays");
        }
        metadata.put(key, new Value(type, null, checkScalar(key, type, value)));
        return this;
    }

    public GgufWriter putString(String key, String value) { return put(key, GgufValueType.STRING, value); }

    public GgufWriter putBoolean(String key, boolean value) { return put(key, GgufValueType.BOOL, value); }

    public GgufWriter putInt32(String key, int value) { return put(key, GgufValueType.INT32, value); }

    public GgufWriter putUInt32(String key, long value) { return put(key, GgufValueType.UINT32, value); }

    public GgufWriter putUInt64(String key, long value) { return put(key, GgufValueType.UINT64, value); }

    public GgufWriter putFloat32(String key, float value) { return put(key, GgufValueType.FLOAT32, value); }

    /**
     * Sets an array: int[] for UINT8/INT8/UINT16/INT16/INT32, long[] for UINT32/INT64/UINT64,
     * float[] for FLOAT32, double[] for FLOAT64, boolean[] for BOOL, String[] for STRING and
     * Object[] (of such arrays) for ARRAY.
     */
    public GgufWriter putArray(String key, GgufValueType elementType, Object array) {
        requireKey(key);
        checkArray(key, elementType, array, 0);
        metadata.put(key, new Value(GgufValueType.ARRAY, elementType, array));
        return this;
    }

    /** Sets the alignment of tensor data (a power of two), stored as {@code general.alignment}. */
    public GgufWriter alignment(int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException(GgufFile.ALIGNMENT_KEY + ": expected a power of two, found " + alignment);
        }
        return putUInt32(GgufFile.ALIGNMENT_KEY, alignment);
    }

    /** Copies every metadata pair of {@code source} with its GGUF type. */
    public GgufWriter copyMetadata(GgufFile source) {
        for (Map.Entry<String, Object> e : source.metadata().entrySet()) {
            GgufValueType type = source.valueType(e.getKey());
            if (type == GgufValueType.ARRAY) {
                putArray(e.getKey(), source.arrayElementType(e.getKey()), e.getValue());
            } else {
                put(e.getKey(), type, e.getValue());
            }
        }
        return this;
    }

    /** Adds a tensor whose {@code data} is already in {@code type}'s block layout. */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, MemorySegment data) {
        long expected = checkedByteSize(name, type, shape);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor " + name + ": " + Arrays.toString(shape) + " of " + type + " takes "
                    + expected + " bytes, found " + data.byteSize());
        }
        tensors.put(name, new Tensor(name, type, shape.clone(), expected, out -> {
            for (long at = 0; at < expected; at += COPY_CHUNK) {
                out.write(data.asSlice(at, Math.min(COPY_CHUNK, expected - at)).toArray(ValueLayout.JAVA_BYTE));
            }
        }));
        return this;
    }

    /**
     * Adds a tensor whose bytes {@code content} writes during {@link #write} (streaming: nothing
     * of it is held here). Writing fails if it produces another number of bytes than the shape
     * and type take.
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, TensorContent content) {
        long expected = checkedByteSize(name, type, shape);
        tensors.put(name, new Tensor(name, type, shape.clone(), expected, content));
        return this;
    }

    private long checkedByteSize(String name, GgmlType type, long[] shape) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("tensor name must not be empty");
        if (tensors.containsKey(name)) throw new IllegalArgumentException("tensor " + name + " is added twice");
        if (shape.length < 1 || shape.length > GgufFile.MAX_DIMS) {
            throw new IllegalArgumentException("tensor " + name + ": expected 1.." + GgufFile.MAX_DIMS + " dimensions, found " + shape.length);
        }
        long elements = 1;
        for (long d : shape) {
            if (d <= 0) throw new IllegalArgumentException("tensor " + name + ": dimensions must be positive, found " + Arrays.toString(shape));
            elements = Math.multiplyExact(elements, d);
        }
        if (shape[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor " + name + ": dim 0 must be a multiple of " + type + "'s block size "
                    + type.blockSize() + ", found " + Arrays.toString(shape));
        }
        return type.byteSize(elements);
    }

    /** Adds a tensor from floats, quantized to {@code type} (F32, F16, BF16, Q8_0 or Q4_0). */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, float[] values) {
        long elements = 1;
        for (long d : shape) elements = Math.multiplyExact(elements, Math.max(d, 1));
        if (elements != values.length) {
            throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape) + " holds " + elements
                    + " values, found " + values.length);
        }
        return addTensor(name, type, shape, MemorySegment.ofArray(Quantizer.quantize(type, values)));
    }

    /** Writes the file, replacing {@code path}. */
    public void write(Path path) throws IOException {
        int alignment = metadata.containsKey(GgufFile.ALIGNMENT_KEY)
                ? Math.toIntExact(((Number) metadata.get(GgufFile.ALIGNMENT_KEY).value()).longValue())
                : GgufFile.DEFAULT_ALIGNMENT;
        try (LittleEndianOutput out = new LittleEndianOutput(new BufferedOutputStream(Files.newOutputStream(path), COPY_CHUNK))) {
            out.u32(GgufFile.MAGIC);
            out.u32(VERSION);
            out.u64(tensors.size());
            out.u64(metadata.size());
            for (Map.Entry<String, Value> e : metadata.entrySet()) {
                out.string(e.getKey());
                Value v = e.getValue();
                out.u32(v.type().id());
                if (v.type() == GgufValueType.ARRAY) {
                    out.array(v.elementType(), v.value());
                } else {
                    out.scalar(v.type(), v.value());
                }
            }
            long offset = 0;
            for (Tensor t : tensors.values()) {
                out.string(t.name());
                out.u32(t.shape().length);
                for (long d : t.shape()) out.u64(d);
                out.u32(t.type().id());
                out.u64(offset);
                offset = GgufFile.alignUp(offset + t.byteSize(), alignment);
            }
            out.pad(alignment);
            long dataStart = out.written;
            for (Tensor t : tensors.values()) {
                long before = out.written;
                t.content().writeTo(out.asStream());
                if (out.written - before != t.byteSize()) {
                    throw new IOException(path + ": tensor " + t.name() + " should take " + t.byteSize() + " bytes, its content wrote "
                            + (out.written - before));
                }
                out.padFrom(dataStart, alignment);
            }
        }
    }

    private static void requireKey(String key) {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("metadata key must not be empty");
    }

    private static Object checkScalar(String key, GgufValueType type, Object value) {
        String problem = switch (type) {
            case UINT8 -> range(value, 0, 0xFF);
            case INT8 -> range(value, Byte.MIN_VALUE, Byte.MAX_VALUE);
            case UINT16 -> range(value, 0, 0xFFFF);
            case INT16 -> range(value, Short.MIN_VALUE, Short.MAX_VALUE);
            case UINT32 -> range(value, 0, 0xFFFF_FFFFL);
            case INT32 -> range(value, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case UINT64, INT64 -> value instanceof Integer || value instanceof Long ? null : "an integer";
            case FLOAT32, FLOAT64 -> value instanceof Number ? null : "a number";
            case BOOL -> value instanceof Boolean ? null : "a Boolean";
            case STRING -> value instanceof String ? null : "a String";
            case ARRAY -> "an array";
        };
        if (problem != null) {
            throw new IllegalArgumentException("metadata " + key + ": a " + type + " value must be " + problem + ", found "
                    + (value == null ? "null" : value + " (" + value.getClass().getSimpleName() + ")"));
        }
        return value;
    }

    private static String range(Object value, long min, long max) {
        if (!(value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte)) {
            return "an integer in [" + min + ", " + max + "]";
        }
        long v = ((Number) value).longValue();
        return v >= min && v <= max ? null : "an integer in [" + min + ", " + max + "]";
    }

    private static void checkArray(String key, GgufValueType elementType, Object array, int depth) {
        if (depth >= GgufFile.MAX_ARRAY_NESTING) {
            throw new IllegalArgumentException("metadata " + key + ": arrays nest at most " + GgufFile.MAX_ARRAY_NESTING + " deep");
        }
        boolean ok = switch (elementType) {
            case UINT8, INT8, UINT16, INT16, INT32 -> array instanceof int[];
            case UINT32, UINT64, INT64 -> array instanceof long[];
            case FLOAT32 -> array instanceof float[];
            case FLOAT64 -> array instanceof double[];
            case BOOL -> array instanceof boolean[];
            case STRING -> array instanceof String[];
            case ARRAY -> array instanceof Object[];
        };
        if (!ok) {
            throw new IllegalArgumentException("metadata " + key + ": an array of " + elementType + " cannot be written from "
                    + (array == null ? "null" : array.getClass().getSimpleName()));
        }
        switch (array) {
            case int[] a -> { for (int v : a) checkScalar(key, elementType, v); }
            case long[] a -> { if (elementType == GgufValueType.UINT32) for (long v : a) checkScalar(key, elementType, v); }
            case String[] a -> { for (String s : a) checkScalar(key, elementType, s); }
            case Object[] a -> { for (Object inner : a) checkArray(key, innerType(key, inner), inner, depth + 1); }
            default -> { }
        }
    }

    private static GgufValueType innerType(String key, Object inner) {
        return switch (inner) {
            case int[] _ -> GgufValueType.INT32;
            case long[] _ -> GgufValueType.INT64;
            case float[] _ -> GgufValueType.FLOAT32;
            case double[] _ -> GgufValueType.FLOAT64;
            case boolean[] _ -> GgufValueType.BOOL;
            case String[] _ -> GgufValueType.STRING;
            case Object[] _ -> GgufValueType.ARRAY;
            case null, default -> throw new IllegalArgumentException("metadata " + key + ": an inner array must be a Java array, found "
                    + (inner == null ? "null" : inner.getClass().getSimpleName()));
        };
    }

    /** Little-endian primitives over a stream, counting bytes for alignment padding. */
    private static final class LittleEndianOutput implements AutoCloseable {
        private final OutputStream out;
        long written;

        LittleEndianOutput(OutputStream out) { this.out = out; }

        void write(byte[] b) throws IOException { out.write(b); written += b.length; }

        /** A view that counts what tensor contents write. */
        OutputStream asStream() {
            return new OutputStream() {
                @Override public void write(int b) throws IOException { u8(b); }

                @Override public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                    written += len;
                }
            };
        }

        void u8(int v) throws IOException { out.write(v); written++; }

        void u16(int v) throws IOException { u8(v & 0xFF); u8((v >>> 8) & 0xFF); }

        void u32(int v) throws IOException { u16(v & 0xFFFF); u16(v >>> 16); }

        void u64(long v) throws IOException { u32((int) v); u32((int) (v >>> 32)); }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            write(b);
        }

        void pad(int alignment) throws IOException {
            while (written % alignment != 0) u8(0);
        }

        void padFrom(long start, int alignment) throws IOException {
            while ((written - start) % alignment != 0) u8(0);
        }

        void scalar(GgufValueType type, Object v) throws IOException {
            switch (type) {
                case UINT8, INT8 -> u8(((Number) v).intValue());
                case UINT16, INT16 -> u16(((Number) v).intValue());
                case UINT32, INT32 -> u32((int) ((Number) v).longValue());
                case UINT64, INT64 -> u64(((Number) v).longValue());
                case FLOAT32 -> u32(Float.floatToRawIntBits(((Number) v).floatValue()));
                case FLOAT64 -> u64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
                case BOOL -> u8((Boolean) v ? 1 : 0);
                case STRING -> string((String) v);
                case ARRAY -> throw new IllegalStateException("arrays are written by array()");
            }
        }

        void array(GgufValueType elementType, Object array) throws IOException {
            u32(elementType.id());
            switch (array) {
                case int[] a -> { u64(a.length); for (int v : a) scalar(elementType, v); }
                case long[] a -> { u64(a.length); for (long v : a) scalar(elementType, v); }
                case float[] a -> { u64(a.length); for (float v : a) u32(Float.floatToRawIntBits(v)); }
                case double[] a -> { u64(a.length); for (double v : a) u64(Double.doubleToRawLongBits(v)); }
                case boolean[] a -> { u64(a.length); for (boolean v : a) u8(v ? 1 : 0); }
                case String[] a -> { u64(a.length); for (String v : a) string(v); }
                case Object[] a -> { u64(a.length); for (Object inner : a) array(innerType("", inner), inner); }
                default -> throw new IllegalStateException("not an array: " + array);
            }
        }

        @Override public void close() throws IOException { out.close(); }
    }
}
