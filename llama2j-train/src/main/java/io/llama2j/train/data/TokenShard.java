package io.llama2j.train.data;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file of token ids, the output of {@code llama2j prepare} (llama2.c's pretokenized .bin,
 * with a header so a reader can check what it reads). Little-endian:
 * <pre>
 *   0  magic        4 bytes "L2JT"
 *   4  version      int32 (1)
 *   8  token bytes  int32: 2 (uint16, when the vocabulary has at most 65536 tokens) or 4 (uint32)
 *   12 vocab size   int32: the tokenizer's, so a shard cannot be fed to the wrong model
 *   16 count        int64 tokens
 *   24 tokens
 * </pre>
 * Documents are concatenated, each starting with BOS (as llama2.c's pretokenize writes them).
 */
public final class TokenShard implements AutoCloseable {
    public static final byte[] MAGIC = {'L', '2', 'J', 'T'};
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 24;
    /** Largest vocabulary that fits uint16 ids. */
    public static final int UINT16_VOCAB_LIMIT = 1 << 16;

    private final Path path;
    private final Arena arena;
    private final MemorySegment tokens;
    private final int tokenBytes;
    private final int vocabSize;
    private final long count;

    private TokenShard(Path path, Arena arena, MemorySegment tokens, int tokenBytes, int vocabSize, long count) {
        this.path = path;
        this.arena = arena;
        this.tokens = tokens;
        this.tokenBytes = tokenBytes;
        this.vocabSize = vocabSize;
        this.count = count;
    }

    /** Bytes per token id for a vocabulary of {@code vocabSize}. */
    public static int tokenBytesFor(int vocabSize) { return vocabSize <= UINT16_VOCAB_LIMIT ? 2 : 4; }

    /** Writes {@code ids[0, count)} as a shard (to a temporary file first, then renamed). */
    public static void write(Path path, int vocabSize, int[] ids, int count) throws IOException {
        int tokenBytes = tokenBytesFor(vocabSize);
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC).putInt(VERSION).putInt(tokenBytes).putInt(vocabSize).putLong(count).flip();
        Path temp = path.resolveSibling(path.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ch.write(header);
            ByteBuffer body = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < count; i++) {
                if (ids[i] < 0 || ids[i] >= vocabSize) {
                    throw new IllegalArgumentException(path + ": token id " + ids[i] + " at " + i + " is outside [0, " + vocabSize + ")");
                }
                if (body.remaining() < tokenBytes) {
                    body.flip();
                    while (body.hasRemaining()) ch.write(body);
                    body.clear();
                }
                if (tokenBytes == 2) body.putShort((short) ids[i]); else body.putInt(ids[i]);
            }
            body.flip();
            while (body.hasRemaining()) ch.write(body);
        }
        Files.move(temp, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Maps a shard after checking its header against the file size. */
    public static TokenShard open(Path path) throws IOException {
        long size = Files.size(path);
        if (size < HEADER_BYTES) {
            throw new IOException(path + ": token shard header: expected " + HEADER_BYTES + " bytes, the file has " + size);
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            byte[] magic = all.asSlice(0, 4).toArray(ValueLayout.JAVA_BYTE);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new IOException(path + ": not a token shard: magic expected \"L2JT\", found "
                        + java.util.HexFormat.ofDelimiter(" ").formatHex(magic));
            }
            ValueLayout.OfInt i32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            int version = all.get(i32, 4), tokenBytes = all.get(i32, 8), vocab = all.get(i32, 12);
            long count = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 16);
            if (version != VERSION) throw new IOException(path + ": token shard version: expected " + VERSION + ", found " + version);
            if (tokenBytes != 2 && tokenBytes != 4) throw new IOException(path + ": token bytes: expected 2 or 4, found " + tokenBytes);
            if (vocab <= 0) throw new IOException(path + ": vocabulary size: expected a positive number, found " + vocab);
            if (count < 0 || count > (size - HEADER_BYTES) / tokenBytes || HEADER_BYTES + count * tokenBytes != size) {
                throw new IOException(path + ": token count " + count + " of " + tokenBytes + " bytes needs "
                        + (HEADER_BYTES + count * tokenBytes) + " bytes, the file has " + size);
            }
            return new TokenShard(path, arena, all.asSlice(HEADER_BYTES), tokenBytes, vocab, count);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() { return path; }

    public long count() { return count; }

    public int vocabSize() { return vocabSize; }

    /** Token {@code i}. */
    public int token(long i) {
        return tokenBytes == 2
                ? Short.toUnsignedInt(tokens.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i))
                : tokens.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i);
    }

    @Override public void close() { arena.close(); }
}
