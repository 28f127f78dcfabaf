package io.llama2j.gguf;

import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.GgmlType;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Malformed GGUF files (truncated, bytes flipped in the header, metadata and tensor infos,
 * absurd counts, lengths and dimensions, tensors pointing outside the file) are rejected with
 * an IllegalArgumentException or IOException that carries a message; never an
 * OutOfMemoryError, an index exception or a hang. Files that still parse must be fully readable.
 */
class GgufFuzzTest {
    /** Values that break counts, lengths, dims and offsets: huge, negative as int64, off by little. */
    private static final long[] ABSURD = {-1L, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40, 1L << 32, 0x8000_0000L,
            0x7FFF_FFFFL, 1_000_000_007L, 0, 3, 64, 4095};

    private static final byte[] VALID = validFile();
    /** End of the tensor infos: flips before this hit the parsed part of the file. */
    private static final int INFO_END;
    static {
        int end;
        try {
            Path p = Files.createTempFile("gguf-fuzz", ".gguf");
            Files.write(p, VALID);
            try (GgufFile g = GgufFile.open(p)) {
                end = (int) g.dataOffset();
            }
            Files.delete(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        INFO_END = end;
    }

    private static byte[] validFile() {
        try {
            Path p = Files.createTempFile("gguf-fuzz", ".gguf");
            new GgufWriter()
                    .putString("general.architecture", "llama")
                    .putUInt32("llama.block_count", 2)
                    .putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                    .putBoolean("tokenizer.ggml.add_bos_token", true)
                    .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, new String[]{"<unk>", "<s>", "</s>", "▁a"})
                    .putArray("tokenizer.ggml.scores", GgufValueType.FLOAT32, new float[]{0, 0, 0, -1})
                    .putArray("tokenizer.ggml.token_type", GgufValueType.INT32, new int[]{2, 3, 3, 1})
                    .putArray("nested", GgufValueType.ARRAY, new Object[]{new long[]{1, 2}, new String[]{"x"}})
                    .addTensor("a", GgmlType.F32, new long[]{8, 2}, new float[16])
                    .addTensor("b", GgmlType.Q8_0, new long[]{32, 2}, new float[64])
                    .addTensor("c", GgmlType.Q4_K, new long[]{256}, java.lang.foreign.MemorySegment.ofArray(new byte[144]))
                    .write(p);
            byte[] bytes = Files.readAllBytes(p);
            Files.delete(p);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens {@code bytes} as a file and reads everything in it; only clean errors may escape. */
    private static void openAndReadEverything(byte[] bytes) throws Exception {
        Path p = Files.createTempFile("gguf-fuzz", ".gguf");
        try {
            Files.write(p, bytes);
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                try (GgufFile g = GgufFile.open(p)) {
                    for (Map.Entry<String, Object> e : g.metadata().entrySet()) assertThat(e.getValue()).isNotNull();
                    for (GgufTensorInfo info : g.tensors()) {
                        FloatTensor t = g.tensor(info.name());
                        int row = (int) Math.min(info.shape()[0], 1 << 16);
                        float[] x = new float[row];
                        t.dot(0, x, 0, row);
                        t.getFloat(t.size() - 1);
                    }
                } catch (IllegalArgumentException | IOException e) {
                    assertThat(e.getMessage()).as("error message").isNotBlank();
                }
            });
        } finally {
            Files.delete(p);
        }
    }

    @Property(tries = 150)
    void truncatedFilesFailCleanly(@ForAll @IntRange(min = 0, max = 100_000) int cut) throws Exception {
        int length = cut % (VALID.length + 1);
        openAndReadEverything(java.util.Arrays.copyOf(VALID, length));
    }

    @Property(tries = 300)
    void flippedBytesInTheHeaderMetadataAndTensorInfosFailCleanly(
            @ForAll @IntRange(min = 0, max = 1 << 20) int position, @ForAll @IntRange(min = 1, max = 255) int xor) throws Exception {
        byte[] bytes = VALID.clone();
        bytes[position % INFO_END] ^= (byte) xor;
        openAndReadEverything(bytes);
    }

    @Provide
    Arbitrary<Long> absurdValues() {
        return Arbitraries.of(java.util.Arrays.stream(ABSURD).boxed().toList());
    }

    /** An 8-byte absurd value written anywhere in the parsed part hits counts, lengths, dims and offsets. */
    @Property(tries = 300)
    void absurdCountsLengthsAndDimsFailCleanly(
            @ForAll @IntRange(min = 0, max = 1 << 20) int position, @ForAll("absurdValues") long value) throws Exception {
        byte[] bytes = VALID.clone();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(position % (INFO_END - 8), value);
        openAndReadEverything(bytes);
    }

    @Property(tries = 50)
    void headerCountsBeyondTheFileAreRejectedWithTheirName(@ForAll("absurdValues") long value) throws Exception {
        for (int field : new int[]{8, 16, 24}) { // tensor_count, metadata_kv_count, length of the first key
            byte[] bytes = VALID.clone();
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(field, value);
            openAndReadEverything(bytes);
        }
    }

    /** Each tensor info ends with its offset; offsets past the end or unaligned are rejected naming the tensor. */
    @Property(tries = 50)
    void tensorsPointingOutsideTheFileAreRejected(@ForAll("absurdValues") long value) throws Exception {
        for (String name : new String[]{"a", "b", "c"}) {
            byte[] bytes = VALID.clone();
            int at = offsetFieldOf(name);
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(at, value + VALID.length);
            Path p = Files.createTempFile("gguf-fuzz", ".gguf");
            try {
                Files.write(p, bytes);
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> GgufFile.open(p).close())
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tensor " + name);
            } finally {
                Files.delete(p);
            }
        }
    }

    /** Position of the offset field of tensor {@code name}: name length, name, n_dims, dims, type, offset. */
    private static int offsetFieldOf(String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.wrap(VALID).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i + 8 + n.length < INFO_END; i++) {
            if (b.getLong(i) == n.length && VALID[i + 8] == n[0]) {
                int dimsAt = i + 8 + n.length;
                int nDims = b.getInt(dimsAt);
                if (nDims >= 1 && nDims <= 4 && dimsAt + 4 + 8 * nDims + 4 + 8 <= INFO_END) {
                    return dimsAt + 4 + 8 * nDims + 4;
                }
            }
        }
        throw new IllegalStateException("tensor " + name + " not found");
    }
}
