package io.llama2j.meta;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

import static io.llama2j.meta.StoredZip.*;

/**
 * Writes a zip archive of stored (uncompressed) entries as torch.save does: each entry's data
 * starts at a multiple of {@link #DATA_ALIGNMENT} thanks to a padding extra field, and ZIP64
 * records are used for entries or offsets beyond 4 GiB (APPNOTE.TXT 4.3.14, 4.5.3).
 */
final class StoredZipWriter implements AutoCloseable {
    /** torch.save (caffe2 PyTorchStreamWriter) aligns every record to 64 bytes so storages can be mapped. */
    static final int DATA_ALIGNMENT = 64;
    /** Extra-field id torch's writer uses for its alignment padding ("FB"). */
    static final int PADDING_EXTRA_ID = 0x4246;
    static final int VERSION_ZIP64 = 45;
    static final int VERSION_PLAIN = 20;
    /** MS-DOS date of 1980-01-01, the earliest zip can express: archives are reproducible. */
    static final int DOS_DATE_1980 = (1 << 5) | 1;

    /** Writes exactly the announced number of bytes of one entry. */
    interface Body { void writeTo(Sink sink) throws IOException; }

    private record Written(String name, long offset, long size, long crc, boolean zip64) {}

    private final Path path;
    private final FileChannel ch;
    private final boolean forceZip64;
    private final List<Written> written = new ArrayList<>();

    StoredZipWriter(Path path, boolean forceZip64) throws IOException {
        this.path = path;
        this.forceZip64 = forceZip64;
        this.ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
    }

    /** A buffered, CRC-computing writer of one entry's bytes. */
    final class Sink {
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private final CRC32 crc = new CRC32();
        private long count;

        /** A little-endian buffer with at least {@code bytes} free. */
        ByteBuffer reserve(int bytes) throws IOException {
            if (buf.remaining() < bytes) flush();
            return buf;
        }

        void write(byte[] bytes) throws IOException {
            for (int off = 0; off < bytes.length; ) {
                int n = Math.min(bytes.length - off, reserve(1).remaining());
                buf.put(bytes, off, n);
                off += n;
            }
        }

        void flush() throws IOException {
            buf.flip();
            count += buf.remaining();
            crc.update(buf.duplicate());
            while (buf.hasRemaining()) ch.write(buf);
            buf.clear();
        }
    }

    void add(String name, byte[] data) throws IOException {
        add(name, data.length, sink -> sink.write(data));
    }

    void add(String name, long size, Body body) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        long offset = ch.position();
        boolean zip64 = forceZip64 || size >= U32_MAX || offset >= U32_MAX;
        int zip64Extra = zip64 ? 4 + 16 : 0;
        long unpadded = offset + LOCAL_HEADER_BYTES + nameBytes.length + zip64Extra + 4;
        int padding = (int) ((DATA_ALIGNMENT - unpadded % DATA_ALIGNMENT) % DATA_ALIGNMENT);
        ByteBuffer h = ByteBuffer.allocate(LOCAL_HEADER_BYTES + nameBytes.length + zip64Extra + 4 + padding)
                .order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(LOCAL_HEADER_SIG).putShort((short) (zip64 ? VERSION_ZIP64 : VERSION_PLAIN)).putShort((short) 0)
                .putShort((short) METHOD_STORED).putShort((short) 0).putShort((short) DOS_DATE_1980)
                .putInt(0) // CRC-32, patched below
                .putInt((int) (zip64 ? U32_MAX : size)).putInt((int) (zip64 ? U32_MAX : size))
                .putShort((short) nameBytes.length).putShort((short) (zip64Extra + 4 + padding)).put(nameBytes);
        if (zip64) h.putShort((short) ZIP64_EXTRA_ID).putShort((short) 16).putLong(size).putLong(size);
        h.putShort((short) PADDING_EXTRA_ID).putShort((short) padding).put(new byte[padding]);
        h.flip();
        while (h.hasRemaining()) ch.write(h);
        Sink sink = new Sink();
        body.writeTo(sink);
        sink.flush();
        if (sink.count != size) {
            throw new IOException(path + ": entry " + name + " was announced as " + size + " bytes but "
                    + sink.count + " were written");
        }
        ByteBuffer crc = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, (int) sink.crc.getValue());
        ch.write(crc, offset + 14);
        written.add(new Written(name, offset, size, sink.crc.getValue(), zip64));
    }

    @Override public void close() throws IOException {
        try (ch) {
            long cdOffset = ch.position();
            for (Written w : written) {
                byte[] nameBytes = w.name.getBytes(StandardCharsets.UTF_8);
                boolean bigOffset = w.zip64 && w.offset >= U32_MAX || forceZip64;
                int extra = w.zip64 ? 4 + 16 + (bigOffset ? 8 : 0) : 0;
                ByteBuffer c = ByteBuffer.allocate(CENTRAL_HEADER_BYTES + nameBytes.length + extra).order(ByteOrder.LITTLE_ENDIAN);
                c.putInt(CENTRAL_HEADER_SIG).putShort((short) VERSION_ZIP64)
                        .putShort((short) (w.zip64 ? VERSION_ZIP64 : VERSION_PLAIN)).putShort((short) 0)
                        .putShort((short) METHOD_STORED).putShort((short) 0).putShort((short) DOS_DATE_1980)
                        .putInt((int) w.crc)
                        .putInt((int) (w.zip64 ? U32_MAX : w.size)).putInt((int) (w.zip64 ? U32_MAX : w.size))
                        .putShort((short) nameBytes.length).putShort((short) extra).putShort((short) 0)
                        .putShort((short) 0).putShort((short) 0).putInt(0)
                        .putInt((int) (bigOffset ? U32_MAX : w.offset)).put(nameBytes);
                if (w.zip64) {
                    c.putShort((short) ZIP64_EXTRA_ID).putShort((short) (16 + (bigOffset ? 8 : 0))).putLong(w.size).putLong(w.size);
                    if (bigOffset) c.putLong(w.offset);
                }
                c.flip();
                while (c.hasRemaining()) ch.write(c);
            }
            long cdSize = ch.position() - cdOffset;
            boolean zip64 = forceZip64 || written.size() >= 0xFFFF || cdOffset >= U32_MAX || cdSize >= U32_MAX;
            ByteBuffer end = ByteBuffer.allocate(ZIP64_EOCD_BYTES + ZIP64_LOCATOR_BYTES + EOCD_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            if (zip64) {
                long eocd64 = ch.position();
                end.putInt(ZIP64_EOCD_SIG).putLong(ZIP64_EOCD_BYTES - 12).putShort((short) VERSION_ZIP64)
                        .putShort((short) VERSION_ZIP64).putInt(0).putInt(0)
                        .putLong(written.size()).putLong(written.size()).putLong(cdSize).putLong(cdOffset);
                end.putInt(ZIP64_LOCATOR_SIG).putInt(0).putLong(eocd64).putInt(1);
            }
            end.putInt(EOCD_SIG).putShort((short) 0).putShort((short) 0)
                    .putShort((short) (zip64 ? 0xFFFF : written.size())).putShort((short) (zip64 ? 0xFFFF : written.size()))
                    .putInt((int) (zip64 ? U32_MAX : cdSize)).putInt((int) (zip64 ? U32_MAX : cdOffset)).putShort((short) 0);
            end.flip();
            while (end.hasRemaining()) ch.write(end);
        }
    }
}
