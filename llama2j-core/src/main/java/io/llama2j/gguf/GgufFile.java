package io.llama2j.gguf;

import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.FloatTensors;
import io.llama2j.tensor.GgmlType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (versions 2 and 3, little-endian), memory-mapped with the FFM API: no 2 GB limit
 * and no copy into the heap. Layout (ggml docs/gguf.md): header (magic "GGUF", version,
 * tensor count, metadata count), metadata key/value pairs, tensor infos, padding to
 * {@code general.alignment}, then the tensor data, each tensor at an aligned offset.
 *
 * <p>Every count, length, type and range is checked against the file before anything is
 * allocated; malformed files raise an IllegalArgumentException that names the file, the key
 * or tensor, what was expected and what was found. Tensors returned by {@link #tensor} are
 * views of the mapping: they stay valid until {@link #close()}.
 */
public final class GgufFile implements AutoCloseable {

    /** "GGUF" read as a little-endian uint32. */
    static final int MAGIC = 0x46554747;
    /** Alignment of the data section when {@code general.alignment} is absent (spec: 32). */
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";
    /** ggml's GGML_MAX_DIMS: a tensor has at most 4 dimensions. */
    static final int MAX_DIMS = 4;
    /** Arrays of arrays deeper than this are rejected (llama.cpp writes none at all). */
    static final int MAX_ARRAY_NESTING = 4;
    /** magic, version, tensor count, metadata count. */
    static final int HEADER_BYTES = 4 + 4 + 8 + 8;
    /** The smallest key/value pair: key length, a 1-byte key, value type, a 1-byte value. */
    private static final int MIN_KV_BYTES = 8 + 1 + 4 + 1;
    /** The smallest tensor info: name length, a 1-byte name, n_dims, one dim, type, offset. */
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 1 + 4 + 8 + 4 + 8;

    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, GgufValueType> valueTypes;
    private final Map<String, GgufValueType> arrayElementTypes;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final int alignment;
    private final long dataOffset;

    private GgufFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        Reader r = new Reader();
        int magic = r.u32("magic");
        if (magic != MAGIC) {
            throw r.error("magic", "\"GGUF\" (0x" + Integer.toHexString(MAGIC) + ")", "0x" + Integer.toHexString(magic));
        }
        int v = r.u32("version");
        if (v == 1) {
            throw r.error("version", "2 or 3", "1 (GGUF v1 used 32-bit counts; re-convert the model)");
        }
        if (v != 2 && v != 3) {
            String found = Integer.reverseBytes(v) == 2 || Integer.reverseBytes(v) == 3
                    ? v + " (a big-endian GGUF file, which llama2j does not read)" : Integer.toUnsignedString(v);
            throw r.error("version", "2 or 3", found);
        }
        this.version = v;
        long tensorCount = r.count("tensor_count", MIN_TENSOR_INFO_BYTES);
        long kvCount = r.count("metadata_kv_count", MIN_KV_BYTES);

        Map<String, Object> meta = new LinkedHashMap<>();
        Map<String, GgufValueType> types = new LinkedHashMap<>();
        Map<String, GgufValueType> elementTypes = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = r.string("key of metadata pair " + i);
            if (key.isEmpty()) throw r.error("key of metadata pair " + i, "a non-empty key", "an empty string");
            if (meta.containsKey(key)) throw r.error("metadata key " + key, "unique keys", "a duplicate");
            GgufValueType type = r.valueType("type of metadata " + key);
            types.put(key, type);
            if (type == GgufValueType.ARRAY) {
                long arrayStart = r.pos;
                GgufValueType elementType = r.valueType("element type of metadata " + key);
                r.pos = arrayStart;
                elementTypes.put(key, elementType);
            }
            meta.put(key, r.value(type, "metadata " + key, 0));
        }
        this.metadata = Collections.unmodifiableMap(meta);
        this.valueTypes = types;
        this.arrayElementTypes = elementTypes;
        this.alignment = readAlignment();

        List<GgufTensorInfo> infos = new ArrayList<>((int) tensorCount);
        Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            GgufTensorInfo info = r.tensorInfo(i);
            if (byName.putIfAbsent(info.name(), info) != null) {
                throw r.error("tensor " + info.name(), "unique tensor names", "a duplicate");
            }
            infos.add(info);
        }
        long start = alignUp(r.pos, alignment);
        this.dataOffset = start;
        for (GgufTensorInfo t : infos) {
            long end = start + t.offset() + t.byteSize(); // no overflow: each term is below the file size
            if (t.offset() > file.byteSize() || end > file.byteSize()) {
                throw new IllegalArgumentException(path + ": tensor " + t.name() + " (" + t.type() + " "
                        + java.util.Arrays.toString(t.shape()) + ") spans bytes " + (start + t.offset()) + ".."
                        + (start + t.offset() + t.byteSize()) + " but the file has " + file.byteSize() + " bytes");
            }
        }
        this.tensors = List.copyOf(infos);
        this.tensorsByName = Collections.unmodifiableMap(byName);
    }

    /** Maps and parses {@code path}. The caller closes the returned file (and so its tensors). */
    public static GgufFile open(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < HEADER_BYTES) {
                throw new IllegalArgumentException(path + ": not a GGUF file: " + size
                        + " bytes, a GGUF header alone takes " + HEADER_BYTES);
            }
            Arena arena = Arena.ofShared();
            try {
                MemorySegment segment = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                return new GgufFile(path, arena, segment);
            } catch (RuntimeException | IOException e) {
                arena.close();
                throw e;
            }
        }
    }

    public Path path() { return path; }

    /** The GGUF format version: 2 or 3. */
    public int version() { return version; }

    /** Every metadata pair in file order (see {@link GgufValueType} for the Java types). */
    public Map<String, Object> metadata() { return metadata; }

    public boolean contains(String key) { return metadata.containsKey(key); }

    /** The GGUF type a key was stored with, or null when the key is absent. */
    public GgufValueType valueType(String key) { return valueTypes.get(key); }

    /** The element type of an array-valued key, or null when the key is absent or not an array. */
    public GgufValueType arrayElementType(String key) { return arrayElementTypes.get(key); }

    /** Alignment of tensor data ({@code general.alignment}, default 32). */
    public int alignment() { return alignment; }

    /** File offset of the data section, where tensor offsets start. */
    public long dataOffset() { return dataOffset; }

    /** Tensor infos in file order. */
    public List<GgufTensorInfo> tensors() { return tensors; }

    public boolean hasTensor(String name) { return tensorsByName.containsKey(name); }

    /** The tensor info named {@code name}; IllegalArgumentException when absent. */
    public GgufTensorInfo tensorInfo(String name) {
        GgufTensorInfo info = tensorsByName.get(name);
        if (info == null) throw new IllegalArgumentException(path + ": no tensor named " + name);
        return info;
    }

    /** The tensor named {@code name} as a view of the mapped file. */
    public FloatTensor tensor(String name) {
        GgufTensorInfo info = tensorInfo(name);
        try {
            return FloatTensors.of(info.type(), tensorData(info), info.elementCount());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + ": tensor " + name + ": " + e.getMessage(), e);
        }
    }

    /** The raw bytes of a tensor, a slice of the mapping. */
    public MemorySegment tensorData(GgufTensorInfo info) {
        return file.asSlice(dataOffset + info.offset(), info.byteSize());
    }

    // ---- typed accessors ------------------------------------------------------------------

    public String getString(String key) {
        return switch (require(key)) {
            case String s -> s;
            default -> throw wrongType(key, "a string");
        };
    }

    /** An integer of any GGUF integer type whose value fits in an int. */
    public int getInt(String key) {
        long v = getLong(key);
        if (v != (int) v) {
            throw new IllegalArgumentException(path + ": metadata " + key + ": expected a value that fits in an int, found " + v);
        }
        return (int) v;
    }

    /** An integer of any GGUF integer type (UINT64 values above Long.MAX_VALUE are rejected). */
    public long getLong(String key) {
        Object v = require(key);
        if (!valueTypes.get(key).isInteger()) throw wrongType(key, "an integer");
        long value = ((Number) v).longValue();
        if (valueTypes.get(key) == GgufValueType.UINT64 && value < 0) {
            throw new IllegalArgumentException(path + ": metadata " + key + ": expected a value that fits in a long, found "
                    + Long.toUnsignedString(value));
        }
        return value;
    }

    /** A FLOAT32, or a FLOAT64 narrowed to float. */
    public float getFloat(String key) {
        return switch (require(key)) {
            case Float f -> f;
            case Double d -> d.floatValue();
            default -> throw wrongType(key, "a float");
        };
    }

    public boolean getBoolean(String key) {
        return switch (require(key)) {
            case Boolean b -> b;
            default -> throw wrongType(key, "a bool");
        };
    }

    /** An array of strings (a copy). */
    public String[] getStringArray(String key) {
        return switch (require(key)) {
            case String[] a -> a.clone();
            default -> throw wrongType(key, "an array of strings");
        };
    }

    /** An array of FLOAT32 (or FLOAT64, narrowed), as a copy. */
    public float[] getFloatArray(String key) {
        return switch (require(key)) {
            case float[] a -> a.clone();
            case double[] a -> {
                float[] f = new float[a.length];
                for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
                yield f;
            }
            default -> throw wrongType(key, "an array of floats");
        };
    }

    /** An array of any integer type whose values all fit in an int, as a copy. */
    public int[] getIntArray(String key) {
        return switch (require(key)) {
            case int[] a -> a.clone();
            case long[] a -> {
                boolean unsigned64 = arrayElementTypes.get(key) == GgufValueType.UINT64;
                int[] ints = new int[a.length];
                for (int i = 0; i < a.length; i++) {
                    if (a[i] != (int) a[i] || (unsigned64 && a[i] < 0)) {
                        throw new IllegalArgumentException(path + ": metadata " + key + "[" + i
                                + "]: expected a value that fits in an int, found " + (unsigned64 ? Long.toUnsignedString(a[i]) : a[i]));
                    }
                    ints[i] = (int) a[i];
                }
                yield ints;
            }
            default -> throw wrongType(key, "an array of integers");
        };
    }

    private Object require(String key) {
        Object v = metadata.get(key);
        if (v == null) throw new IllegalArgumentException(path + ": metadata key " + key + " is missing");
        return v;
    }

    private IllegalArgumentException wrongType(String key, String expected) {
        GgufValueType t = valueTypes.get(key);
        String found = t == GgufValueType.ARRAY ? "an array of " + arrayElementTypes.get(key) : t.toString();
        return new IllegalArgumentException(path + ": metadata " + key + ": expected " + expected + ", found " + found);
    }

    private int readAlignment() {
        if (!metadata.containsKey(ALIGNMENT_KEY)) return DEFAULT_ALIGNMENT;
        long a = getLong(ALIGNMENT_KEY);
        if (a <= 0 || Long.bitCount(a) != 1 || a > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(path + ": metadata " + ALIGNMENT_KEY + ": expected a power of two, found " + a);
        }
        return (int) a;
    }

    static long alignUp(long offset, long alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    @Override public void close() {
        arena.close();
    }

    @Override public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + metadata.size() + " keys, " + tensors.size() + " tensors]";
    }

    /** A cursor over the header, metadata and tensor infos; every read is bounds-checked. */
    private final class Reader {
        long pos;

        IllegalArgumentException error(String field, String expected, String found) {
            return new IllegalArgumentException(path + ": " + field + " (at byte " + pos + "): expected "
                    + expected + ", found " + found);
        }

        long remaining() { return file.byteSize() - pos; }

        void need(long bytes, String field) {
            if (bytes < 0 || bytes > remaining()) {
                throw new IllegalArgumentException(path + ": truncated at " + field + " (byte " + pos + "): needs "
                        + (bytes < 0 ? Long.toUnsignedString(bytes) : bytes) + " bytes, " + remaining() + " remain of " + file.byteSize());
            }
        }

        int u8(String field) { need(1, field); return Byte.toUnsignedInt(file.get(ValueLayout.JAVA_BYTE, pos++)); }

        int u16(String field) { need(2, field); int v = file.get(SHORT_LE, pos); pos += 2; return v; }

        int u32(String field) { need(4, field); int v = file.get(INT_LE, pos); pos += 4; return v; }

        long u64(String field) { need(8, field); long v = file.get(LONG_LE, pos); pos += 8; return v; }

        /** A uint64 count of items that each take at least {@code minItemBytes} of what remains. */
        long count(String field, long minItemBytes) {
            long start = pos;
            long n = u64(field);
            if (n < 0 || n > remaining() / minItemBytes) {
                pos = start;
                throw error(field, "at most " + remaining() / minItemBytes + " (each takes at least " + minItemBytes
                        + " of the " + remaining() + " remaining bytes)", Long.toUnsignedString(n));
            }
            return n;
        }

        String string(String field) {
            long start = pos;
            long len = u64("length of " + field);
            if (len < 0 || len > remaining()) {
                pos = start;
                throw error("length of " + field, "at most the " + (remaining() - 8) + " remaining bytes", Long.toUnsignedString(len));
            }
            byte[] bytes = file.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            try {
                String s = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
                pos += len;
                return s;
            } catch (CharacterCodingException e) {
                throw error(field, "UTF-8 text", "invalid UTF-8 (" + e.getMessage() + ")");
            }
        }

        GgufValueType valueType(String field) {
            long start = pos;
            int id = u32(field);
            GgufValueType t = GgufValueType.fromId(id);
            if (t == null) {
                pos = start;
                throw error(field, "a GGUF value type 0..12", Integer.toUnsignedString(id));
            }
            return t;
        }

        Object value(GgufValueType type, String field, int depth) {
            return switch (type) {
                case UINT8 -> u8(field);
                case INT8 -> { need(1, field); yield (int) file.get(ValueLayout.JAVA_BYTE, pos++); }
                case UINT16 -> u16(field) & 0xFFFF;
                case INT16 -> (int) (short) u16(field);
                case UINT32 -> Integer.toUnsignedLong(u32(field));
                case INT32 -> u32(field);
                case FLOAT32 -> { need(4, field); float f = file.get(FLOAT_LE, pos); pos += 4; yield f; }
                case FLOAT64 -> { need(8, field); double d = file.get(DOUBLE_LE, pos); pos += 8; yield d; }
                case BOOL -> {
                    long start = pos;
                    int b = u8(field);
                    if (b > 1) { pos = start; throw error(field, "a bool (0 or 1)", Integer.toString(b)); }
                    yield b == 1;
                }
                case UINT64, INT64 -> u64(field);
                case STRING -> string(field);
                case ARRAY -> array(field, depth);
            };
        }

        Object array(String field, int depth) {
            if (depth >= MAX_ARRAY_NESTING) {
                throw error(field, "arrays nested at most " + MAX_ARRAY_NESTING + " deep", "deeper nesting");
            }
            GgufValueType et = valueType("element type of " + field);
            long n = count("length of " + field, et.minEncodedSize());
            if (n > Integer.MAX_VALUE - 8) {
                throw error("length of " + field, "at most " + (Integer.MAX_VALUE - 8) + " elements", Long.toString(n));
            }
            int len = (int) n;
            return switch (et) {
                case UINT8, INT8, UINT16, INT16, INT32 -> {
                    int[] a = new int[len];
                    for (int i = 0; i < len; i++) a[i] = (Integer) value(et, field, depth + 1);
                    yield a;
                }
                case UINT32, UINT64, INT64 -> {
                    long[] a = new long[len];
                    for (int i = 0; i < len; i++) a[i] = (Long) value(et, field, depth + 1);
                    yield a;
                }
                case FLOAT32 -> {
                    float[] a = new float[len];
                    MemorySegment.copy(file, FLOAT_LE, pos, a, 0, len);
                    pos += 4L * len;
                    yield a;
                }
                case FLOAT64 -> {
                    double[] a = new double[len];
                    MemorySegment.copy(file, DOUBLE_LE, pos, a, 0, len);
                    pos += 8L * len;
                    yield a;
                }
                case BOOL -> {
                    boolean[] a = new boolean[len];
                    for (int i = 0; i < len; i++) a[i] = (Boolean) value(et, field, depth + 1);
                    yield a;
                }
                case STRING -> {
                    String[] a = new String[len];
                    for (int i = 0; i < len; i++) a[i] = string(field + "[" + i + "]");
                    yield a;
                }
                case ARRAY -> {
                    Object[] a = new Object[len];
                    for (int i = 0; i < len; i++) a[i] = array(field + "[" + i + "]", depth + 1);
                    yield a;
                }
            };
        }

        GgufTensorInfo tensorInfo(long index) {
            String name = string("name of tensor " + index);
            if (name.isEmpty()) throw error("name of tensor " + index, "a non-empty name", "an empty string");
            String field = "tensor " + name;
            long dimsAt = pos;
            int nDims = u32("n_dims of " + field);
            if (nDims < 1 || nDims > MAX_DIMS) {
                pos = dimsAt;
                throw error("n_dims of " + field, "1.." + MAX_DIMS, Integer.toUnsignedString(nDims));
            }
            need(8L * nDims, "dims of " + field);
            long[] shape = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                long dimAt = pos;
                shape[d] = u64("dim " + d + " of " + field);
                if (shape[d] <= 0) {
                    pos = dimAt;
                    throw error("dim " + d + " of " + field, "a positive size", Long.toUnsignedString(shape[d]));
                }
                if (elements > Long.MAX_VALUE / shape[d]) {
                    pos = dimAt;
                    throw error("shape of " + field, "an element count below 2^63", "an overflowing product at dim " + d);
                }
                elements *= shape[d];
            }
            long typeAt = pos;
            int typeId = u32("type of " + field);
            GgmlType type = GgmlType.fromId(typeId);
            if (type == null) {
                pos = typeAt;
                throw error("type of " + field, "a known ggml type", "type id " + Integer.toUnsignedString(typeId));
            }
            if (shape[0] % type.blockSize() != 0) {
                pos = typeAt;
                throw error("shape of " + field, "dim 0 a multiple of " + type + "'s block size " + type.blockSize(),
                        java.util.Arrays.toString(shape));
            }
            long bytes = elements / type.blockSize();
            if (bytes > file.byteSize() / type.bytesPerBlock()) {
                pos = typeAt;
                throw error("shape of " + field, "data that fits in the file's " + file.byteSize() + " bytes",
                        java.util.Arrays.toString(shape) + " of " + type);
            }
            long offsetAt = pos;
            long offset = u64("offset of " + field);
            if (offset < 0 || offset % alignment != 0) {
                pos = offsetAt;
                throw error("offset of " + field, "a multiple of the alignment " + alignment, Long.toUnsignedString(offset));
            }
            if (offset > file.byteSize()) {
                pos = offsetAt;
                throw error("offset of " + field, "an offset inside the file's " + file.byteSize() + " bytes", Long.toUnsignedString(offset));
            }
            return new GgufTensorInfo(name, type, shape, offset);
        }
    }
}
