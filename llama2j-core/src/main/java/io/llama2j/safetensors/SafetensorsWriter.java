package io.llama2j.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.Quantizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file: tensors are encoded from any {@link FloatTensor} into F32, F16 or
 * BF16, laid out back to back in the order added, and the JSON header is padded with spaces so
 * that the data section starts 8-byte aligned, as the format recommends.
 */
public final class SafetensorsWriter {
    /** The data section starts at a multiple of this (the format's recommended alignment). */
    static final int HEADER_ALIGNMENT = 8;
    private static final int CHUNK_ELEMENTS = 1 << 16;
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Entry(String name, SafetensorsDType dtype, long[] shape, FloatTensor source) {}

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<Entry> entries = new ArrayList<>();

    /** Adds a "__metadata__" entry (Transformers writes {"format": "pt"}). */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Adds tensor {@code name} of the given shape, encoding the elements of {@code source} as {@code dtype}. */
    public SafetensorsWriter add(String name, SafetensorsDType dtype, long[] shape, FloatTensor source) {
        if (dtype.ggmlType() == null) {
            throw new IllegalArgumentException("cannot write tensor '" + name + "' as " + dtype + ": only F32, F16 and BF16");
        }
        long elements = 1;
        for (long d : shape) elements = Math.multiplyExact(elements, d);
        if (elements != source.size()) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " holds "
                    + elements + " elements, but the source has " + source.size());
        }
        if (name.equals(SafetensorsFile.METADATA_KEY) || entries.stream().anyMatch(e -> e.name.equals(name))) {
            throw new IllegalArgumentException("tensor name '" + name + "' is reserved or already added");
        }
        entries.add(new Entry(name, dtype, shape.clone(), source));
        return this;
    }

    public void write(Path path) throws IOException {
        byte[] header = header();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer prefix = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeFully(ch, prefix);
            writeFully(ch, ByteBuffer.wrap(header));
            ByteBuffer buf = ByteBuffer.allocate(CHUNK_ELEMENTS * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            float[] chunk = new float[CHUNK_ELEMENTS];
            for (Entry e : entries) {
                for (long off = 0; off < e.source.size(); off += CHUNK_ELEMENTS) {
                    int n = (int) Math.min(CHUNK_ELEMENTS, e.source.size() - off);
                    e.source.dequantize(off, chunk, 0, n);
                    buf.clear();
                    buf.put(Quantizer.quantize(e.dtype.ggmlType(), chunk, 0, n));
                    buf.flip();
                    writeFully(ch, buf);
                }
            }
        }
    }

    /** The JSON header, space-padded so that 8 + its length is a multiple of {@link #HEADER_ALIGNMENT}. */
    private byte[] header() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(SafetensorsFile.METADATA_KEY);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = root.putObject(e.name);
            t.put("dtype", e.dtype.name());
            ArrayNode shape = t.putArray("shape");
            for (long d : e.shape) shape.add(d);
            long bytes = Math.multiplyExact(e.source.size(), (long) e.dtype.bytes());
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        int padded = (int) ((Long.BYTES + json.length + HEADER_ALIGNMENT - 1) / HEADER_ALIGNMENT * HEADER_ALIGNMENT) - Long.BYTES;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }
}
