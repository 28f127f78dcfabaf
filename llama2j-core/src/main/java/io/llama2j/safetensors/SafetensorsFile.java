package io.llama2j.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.FloatTensors;
import io.llama2j.tensor.GgmlType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped safetensors file (https://github.com/huggingface/safetensors, "Format"):
 * an unsigned 64-bit little-endian header length N, N bytes of UTF-8 JSON mapping tensor names
 * to {dtype, shape, data_offsets} plus an optional "__metadata__" string map, then the data.
 * Offsets are relative to the data section. The whole header is validated before any tensor is
 * handed out: in range, sizes equal shape × dtype size, no overlaps and no holes (the format
 * requires the data to be fully indexed). Tensors are views of the mapping: no copy, no 2 GB
 * limit. Close the file to unmap; tensors must not be used afterwards.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Bytes of the little-endian u64 that precedes the JSON header. */
    static final int LENGTH_PREFIX_BYTES = Long.BYTES;
    /** The reference implementation refuses headers above 100 MB (MAX_HEADER_SIZE); so do we. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    static final String METADATA_KEY = "__metadata__";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path path;
    private final Arena arena;
    /** False for an automatic arena, which only the garbage collector releases. */
    private final boolean closeable;
    private final MemorySegment data;
    private final Map<String, SafetensorsTensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, boolean closeable, MemorySegment data,
                            Map<String, SafetensorsTensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.closeable = closeable;
        this.data = data;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens, validates and maps {@code path}; {@link #close()} unmaps it. */
    public static SafetensorsFile open(Path path) throws IOException {
        return open(path, false);
    }

    /**
     * Opens, validates and maps {@code path}. With {@code unmapWhenUnreachable} the mapping is
     * released by the garbage collector once no tensor refers to it, and close() does nothing
     * (for models loaded for the life of a process).
     */
    public static SafetensorsFile open(Path path, boolean unmapWhenUnreachable) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < LENGTH_PREFIX_BYTES) {
                throw new IOException(path + ": not a safetensors file: " + fileSize
                        + " bytes, expected at least the " + LENGTH_PREFIX_BYTES + "-byte header length");
            }
            ByteBuffer prefix = ByteBuffer.allocate(LENGTH_PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, prefix, 0, path);
            long headerLength = prefix.getLong(0);
            long available = fileSize - LENGTH_PREFIX_BYTES;
            if (headerLength < 2 || headerLength > available || headerLength > MAX_HEADER_BYTES) {
                throw new IOException(path + ": header length " + Long.toUnsignedString(headerLength)
                        + " is invalid: expected 2.." + Math.min(available, MAX_HEADER_BYTES)
                        + " (file is " + fileSize + " bytes, header limit " + MAX_HEADER_BYTES + ")");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(ch, header, LENGTH_PREFIX_BYTES, path);
            long dataStart = LENGTH_PREFIX_BYTES + headerLength;
            long dataSize = fileSize - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, SafetensorsTensorInfo> tensors = parseHeader(path, header.array(), dataSize, metadata);
            Arena arena = unmapWhenUnreachable ? Arena.ofAuto() : Arena.ofShared();
            try {
                MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, fileSize, arena);
                return new SafetensorsFile(path, arena, !unmapWhenUnreachable, mapped.asSlice(dataStart, dataSize),
                        Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
            } catch (IOException | RuntimeException e) {
                if (!unmapWhenUnreachable) arena.close();
                throw e;
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path path) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) throw new IOException(path + ": unexpected end of file at byte " + pos);
            pos += n;
        }
    }

    /** Parses and validates the JSON header; fills {@code metadata}; returns tensors in header order. */
    static Map<String, SafetensorsTensorInfo> parseHeader(Path path, byte[] header, long dataSize,
                                                          Map<String, String> metadata) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(new String(header, StandardCharsets.UTF_8));
        } catch (JacksonException e) {
            throw new IOException(path + ": header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IOException(path + ": header must be a JSON object, found "
                    + (root == null ? "nothing" : root.getNodeType()));
        }
        Map<String, SafetensorsTensorInfo> tensors = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals(METADATA_KEY)) {
                parseMetadata(path, e.getValue(), metadata);
            } else {
                tensors.put(e.getKey(), parseTensor(path, e.getKey(), e.getValue(), dataSize));
            }
        }
        checkCoverage(path, tensors.values(), dataSize);
        return tensors;
    }

    private static void parseMetadata(Path path, JsonNode node, Map<String, String> out) throws IOException {
        if (!node.isObject()) {
            throw new IOException(path + ": __metadata__ must be an object of strings, found " + node.getNodeType());
        }
        for (Map.Entry<String, JsonNode> m : node.properties()) {
            if (!m.getValue().isTextual()) {
                throw new IOException(path + ": __metadata__." + m.getKey() + " must be a string, found "
                        + m.getValue().getNodeType());
            }
            out.put(m.getKey(), m.getValue().textValue());
        }
    }

    private static SafetensorsTensorInfo parseTensor(Path path, String name, JsonNode node, long dataSize)
            throws IOException {
        String where = path + ": tensor '" + name + "'";
        if (!node.isObject()) throw new IOException(where + " must be an object, found " + node.getNodeType());
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new IOException(where + " has no string field dtype");
        }
        SafetensorsDType dtype = SafetensorsDType.byName(dtypeNode.textValue());
        if (dtype == null) {
            throw new IOException(where + ": unsupported dtype '" + dtypeNode.textValue()
                    + "', expected one of " + List.of(SafetensorsDType.values()));
        }
        long[] shape = longArray(node.get("shape"), -1, where + " shape");
        long[] offsets = longArray(node.get("data_offsets"), 2, where + " data_offsets");
        long begin = offsets[0], end = offsets[1];
        if (begin > end || end > dataSize) {
            throw new IOException(where + ": data_offsets [" + begin + ", " + end
                    + "] out of range: expected begin <= end <= " + dataSize + " (data section size)");
        }
        long expectedBytes;
        try {
            long elements = 1;
            for (long d : shape) elements = Math.multiplyExact(elements, d);
            expectedBytes = Math.multiplyExact(elements, (long) dtype.bytes());
        } catch (ArithmeticException overflow) {
            throw new IOException(where + ": shape " + java.util.Arrays.toString(shape) + " overflows 64 bits");
        }
        if (end - begin != expectedBytes) {
            throw new IOException(where + ": " + dtype + java.util.Arrays.toString(shape) + " needs "
                    + expectedBytes + " bytes, but data_offsets [" + begin + ", " + end + "] span " + (end - begin));
        }
        return new SafetensorsTensorInfo(name, dtype, shape, begin, end);
    }

    private static long[] longArray(JsonNode node, int expectedLength, String what) throws IOException {
        if (node == null || !node.isArray()) throw new IOException(what + ": expected an array of integers");
        if (expectedLength >= 0 && node.size() != expectedLength) {
            throw new IOException(what + ": expected " + expectedLength + " integers, found " + node.size());
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new IOException(what + "[" + i + "]: expected a non-negative integer, found " + v);
            }
            out[i] = v.longValue();
        }
        return out;
    }

    /** The data section must be exactly tiled by the tensors: no overlap, no hole. */
    private static void checkCoverage(Path path, Iterable<SafetensorsTensorInfo> tensors, long dataSize)
            throws IOException {
        List<SafetensorsTensorInfo> sorted = new ArrayList<>();
        tensors.forEach(sorted::add);
        sorted.sort(Comparator.comparingLong(SafetensorsTensorInfo::begin).thenComparingLong(SafetensorsTensorInfo::end));
        long expectedBegin = 0;
        SafetensorsTensorInfo previous = null;
        for (SafetensorsTensorInfo t : sorted) {
            if (t.begin() < expectedBegin) {
                throw new IOException(path + ": tensor '" + t.name() + "' [" + t.begin() + ", " + t.end()
                        + ") overlaps tensor '" + previous.name() + "' [" + previous.begin() + ", " + previous.end() + ")");
            }
            if (t.begin() > expectedBegin) {
                throw new IOException(path + ": data bytes [" + expectedBegin + ", " + t.begin()
                        + ") belong to no tensor (the format forbids holes)");
            }
            expectedBegin = t.end();
            previous = t;
        }
        if (expectedBegin != dataSize) {
            throw new IOException(path + ": data section is " + dataSize + " bytes but tensors cover only "
                    + expectedBegin);
        }
    }

    public Path path() { return path; }

    /** The "__metadata__" map (empty when absent). */
    public Map<String, String> metadata() { return metadata; }

    /** Tensor entries in header order. */
    public Map<String, SafetensorsTensorInfo> tensors() { return tensors; }

    public boolean contains(String name) { return tensors.containsKey(name); }

    /** The entry for {@code name}; IllegalArgumentException naming the file when absent. */
    public SafetensorsTensorInfo info(String name) {
        SafetensorsTensorInfo t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException(path + ": no tensor named '" + name + "'");
        return t;
    }

    /** The raw little-endian bytes of tensor {@code name}, a view of the mapping. */
    public MemorySegment bytes(String name) {
        SafetensorsTensorInfo t = info(name);
        return data.asSlice(t.begin(), t.byteSize());
    }

    /** Tensor {@code name} as weights (F32, F16 or BF16), a view of the mapping. */
    public FloatTensor tensor(String name) {
        SafetensorsTensorInfo t = info(name);
        GgmlType type = t.dtype().ggmlType();
        if (type == null) {
            throw new IllegalArgumentException(path + ": tensor '" + name + "' has unsupported dtype " + t.dtype()
                    + "; llama2j reads F32, F16 and BF16 weights");
        }
        return FloatTensors.of(type, bytes(name), t.elements());
    }

    @Override public void close() {
        if (closeable) arena.close();
    }
}
