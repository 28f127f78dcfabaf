package io.llama2j.meta;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * A memory-mapped zip archive whose entries are all stored uncompressed, which is how torch.save
 * writes its archives (PKWARE APPNOTE.TXT 4.3: local headers, central directory, end-of-central-
 * directory record, with the ZIP64 records of 4.3.14-4.3.15 and extra field 0x0001 for large
 * checkpoints). Entries are slices of the mapping, so multi-gigabyte storages are never copied.
 * Every offset and size is checked against the file before use.
 */
final class StoredZip implements AutoCloseable {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static final int LOCAL_HEADER_SIG = 0x04034b50;
    static final int CENTRAL_HEADER_SIG = 0x02014b50;
    static final int EOCD_SIG = 0x06054b50;
    static final int ZIP64_EOCD_SIG = 0x06064b50;
    static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    static final int LOCAL_HEADER_BYTES = 30;
    static final int CENTRAL_HEADER_BYTES = 46;
    static final int EOCD_BYTES = 22;
    static final int ZIP64_EOCD_BYTES = 56;
    static final int ZIP64_LOCATOR_BYTES = 20;
    static final int MAX_COMMENT_BYTES = 0xFFFF;
    static final int ZIP64_EXTRA_ID = 0x0001;
    static final int METHOD_STORED = 0;
    static final int FLAG_ENCRYPTED = 1;
    static final long U32_MAX = 0xFFFFFFFFL;

    private final Path path;
    private final Arena arena;
    /** False for an automatic arena, which only the garbage collector releases. */
    private final boolean closeable;
    private final MemorySegment file;
    private final Map<String, Entry> entries;

    /** An entry's bytes (a slice of the mapping) and the CRC-32 the central directory records. */
    record Entry(MemorySegment data, long crc32) {}

    private StoredZip(Path path, Arena arena, boolean closeable, MemorySegment file, Map<String, Entry> entries) {
        this.path = path;
        this.arena = arena;
        this.closeable = closeable;
        this.file = file;
        this.entries = entries;
    }

    /** Maps {@code path}; with {@code unmapWhenUnreachable} the GC releases the mapping and close() does nothing. */
    static StoredZip open(Path path, boolean unmapWhenUnreachable) throws IOException {
        Arena arena = unmapWhenUnreachable ? Arena.ofAuto() : Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new StoredZip(path, arena, !unmapWhenUnreachable, file, Collections.unmodifiableMap(readDirectory(path, file)));
        } catch (IOException | RuntimeException e) {
            if (!unmapWhenUnreachable) arena.close();
            throw e;
        }
    }

    private static int u16(MemorySegment s, long at) { return Short.toUnsignedInt(s.get(U16, at)); }

    private static long u32(MemorySegment s, long at) { return Integer.toUnsignedLong(s.get(U32, at)); }

    private static Map<String, Entry> readDirectory(Path path, MemorySegment file) throws IOException {
        long size = file.byteSize();
        long eocd = -1;
        for (long at = size - EOCD_BYTES; at >= Math.max(0, size - EOCD_BYTES - MAX_COMMENT_BYTES); at--) {
            if (file.get(U32, at) == EOCD_SIG) { eocd = at; break; }
        }
        if (eocd < 0) throw new IOException(path + ": not a zip archive (no end-of-central-directory record)");
        long count = u16(file, eocd + 10);
        long cdSize = u32(file, eocd + 12);
        long cdOffset = u32(file, eocd + 16);
        long directoryEnd = eocd;
        if (count == 0xFFFF || cdSize == U32_MAX || cdOffset == U32_MAX) {
            long locator = eocd - ZIP64_LOCATOR_BYTES;
            if (locator < 0 || file.get(U32, locator) != ZIP64_LOCATOR_SIG) {
                throw new IOException(path + ": zip end record asks for ZIP64 but has no ZIP64 locator");
            }
            long z = file.get(U64, locator + 8);
            if (z < 0 || z > locator - ZIP64_EOCD_BYTES || file.get(U32, z) != ZIP64_EOCD_SIG) {
                throw new IOException(path + ": ZIP64 end record offset " + z + " is invalid");
            }
            count = file.get(U64, z + 32);
            cdSize = file.get(U64, z + 40);
            cdOffset = file.get(U64, z + 48);
            directoryEnd = z;
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > directoryEnd || cdSize > directoryEnd - cdOffset
                || count < 0 || count > cdSize / CENTRAL_HEADER_BYTES) {
            throw new IOException(path + ": central directory (" + count + " entries, " + cdSize + " bytes at "
                    + cdOffset + ") does not fit before byte " + directoryEnd);
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        long at = cdOffset, cdEnd = cdOffset + cdSize;
        for (long i = 0; i < count; i++) {
            if (at + CENTRAL_HEADER_BYTES > cdEnd || file.get(U32, at) != CENTRAL_HEADER_SIG) {
                throw new IOException(path + ": central directory entry " + i + " at byte " + at + " is damaged");
            }
            int flags = u16(file, at + 8), method = u16(file, at + 10);
            long crc = u32(file, at + 16);
            long compressed = u32(file, at + 20), uncompressed = u32(file, at + 24);
            int nameLen = u16(file, at + 28), extraLen = u16(file, at + 30), commentLen = u16(file, at + 32);
            long localOffset = u32(file, at + 42);
            long next = at + CENTRAL_HEADER_BYTES + nameLen + extraLen + commentLen;
            if (next > cdEnd) throw new IOException(path + ": central directory entry " + i + " runs past the directory");
            String name = new String(file.asSlice(at + CENTRAL_HEADER_BYTES, nameLen).toArray(ValueLayout.JAVA_BYTE),
                    java.nio.charset.StandardCharsets.UTF_8);
            // ZIP64 extra field: the 8-byte values present are those whose 4-byte field is 0xFFFFFFFF, in this order.
            long extra = at + CENTRAL_HEADER_BYTES + nameLen, extraEnd = extra + extraLen;
            while (extra + 4 <= extraEnd) {
                int id = u16(file, extra), len = u16(file, extra + 2);
                long data = extra + 4;
                if (data + len > extraEnd) throw new IOException(path + ": entry " + name + " has a damaged extra field");
                if (id == ZIP64_EXTRA_ID) {
                    long p = data;
                    if (uncompressed == U32_MAX) { uncompressed = readExtra(file, p, data + len, path, name); p += 8; }
                    if (compressed == U32_MAX) { compressed = readExtra(file, p, data + len, path, name); p += 8; }
                    if (localOffset == U32_MAX) { localOffset = readExtra(file, p, data + len, path, name); }
                }
                extra = data + len;
            }
            if ((flags & FLAG_ENCRYPTED) != 0) throw new IOException(path + ": entry " + name + " is encrypted");
            if (method != METHOD_STORED || compressed != uncompressed) {
                throw new IOException(path + ": entry " + name + " is compressed (method " + method
                        + "); torch.save stores entries uncompressed and llama2j maps them in place");
            }
            if (localOffset < 0 || localOffset > cdOffset - LOCAL_HEADER_BYTES || file.get(U32, localOffset) != LOCAL_HEADER_SIG) {
                throw new IOException(path + ": entry " + name + " has no local header at byte " + localOffset);
            }
            long dataStart = localOffset + LOCAL_HEADER_BYTES + u16(file, localOffset + 26) + u16(file, localOffset + 28);
            if (compressed < 0 || dataStart > cdOffset || compressed > cdOffset - dataStart) {
                throw new IOException(path + ": entry " + name + " (" + compressed + " bytes at " + dataStart
                        + ") runs past the central directory at byte " + cdOffset);
            }
            if (entries.put(name, new Entry(file.asSlice(dataStart, compressed), crc)) != null) {
                throw new IOException(path + ": duplicate entry " + name);
            }
            at = next;
        }
        return entries;
    }

    private static long readExtra(MemorySegment file, long at, long end, Path path, String name) throws IOException {
        if (at + 8 > end) throw new IOException(path + ": entry " + name + " has a truncated ZIP64 extra field");
        return file.get(U64, at);
    }

    Path path() { return path; }

    /** Entry names in directory order. */
    java.util.Set<String> names() { return entries.keySet(); }

    /** The entry's bytes; IOException naming the archive when absent. */
    MemorySegment entry(String name) throws IOException {
        Entry e = entries.get(name);
        if (e == null) throw new IOException(path + ": missing zip entry " + name);
        return e.data();
    }

    /** The entry's bytes copied to the heap after checking its CRC-32 (for small entries such as data.pkl). */
    byte[] readVerified(String name) throws IOException {
        Entry e = entries.get(name);
        if (e == null) throw new IOException(path + ": missing zip entry " + name);
        if (e.data().byteSize() > Integer.MAX_VALUE - 8) {
            throw new IOException(path + ": entry " + name + " is too large to read (" + e.data().byteSize() + " bytes)");
        }
        byte[] bytes = e.data().toArray(ValueLayout.JAVA_BYTE);
        CRC32 crc = new CRC32();
        crc.update(bytes);
        if (crc.getValue() != e.crc32()) {
            throw new IOException(path + ": entry " + name + " is corrupt: CRC-32 " + Long.toHexString(crc.getValue())
                    + ", expected " + Long.toHexString(e.crc32()));
        }
        return bytes;
    }

    @Override public void close() {
        if (closeable) arena.close();
    }
}
