package io.llama2j.safetensors;

import io.llama2j.tensor.F32Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Damaged safetensors files fail with IOException naming the file, never with anything else. */
class SafetensorsFuzzTest {
    private static final byte[] VALID = validFile();

    private static byte[] validFile() {
        try {
            Path tmp = Files.createTempFile("valid", ".safetensors");
            new SafetensorsWriter().metadata("format", "pt")
                    .add("model.embed_tokens.weight", SafetensorsDType.F32, new long[]{4, 3},
                            F32Tensor.of(new float[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}))
                    .add("model.norm.weight", SafetensorsDType.F32, new long[]{3}, F32Tensor.of(new float[]{1, 1, 1}))
                    .write(tmp);
            byte[] bytes = Files.readAllBytes(tmp);
            Files.delete(tmp);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void assertOpensOrFailsCleanly(byte[] bytes) throws IOException {
        Path p = Files.createTempFile("fuzz", ".safetensors");
        try {
            Files.write(p, bytes);
            Throwable thrown = catchThrowable(() -> {
                try (SafetensorsFile f = SafetensorsFile.open(p)) {
                    for (String name : f.tensors().keySet()) {
                        var t = f.tensor(name);
                        for (long i = 0; i < t.size(); i++) t.getFloat(i);
                    }
                }
            });
            if (thrown != null) {
                assertThat(thrown).isInstanceOfAny(IOException.class, IllegalArgumentException.class);
                assertThat(thrown.getMessage()).contains(p.toString());
            }
        } finally {
            Files.delete(p);
        }
    }

    @Property(tries = 200)
    void everyTruncationFailsCleanly(@ForAll @IntRange(min = 0, max = 200) int cut) throws IOException {
        int length = Math.max(0, VALID.length - 1 - cut % VALID.length);
        byte[] truncated = java.util.Arrays.copyOf(VALID, length);
        Path p = Files.createTempFile("trunc", ".safetensors");
        try {
            Files.write(p, truncated);
            Throwable thrown = catchThrowable(() -> SafetensorsFile.open(p).close());
            assertThat(thrown).isInstanceOf(IOException.class);
            assertThat(thrown.getMessage()).contains(p.toString());
        } finally {
            Files.delete(p);
        }
    }

    @Property(tries = 500)
    void byteFlipsInTheHeaderFailCleanlyOrStillDescribeValidData(
            @ForAll @IntRange(min = 0, max = 10_000) int position, @ForAll @IntRange(min = 1, max = 255) int xor)
            throws IOException {
        byte[] damaged = VALID.clone();
        int headerEnd = VALID.length - 15 * Float.BYTES;
        damaged[position % headerEnd] ^= (byte) xor;
        assertOpensOrFailsCleanly(damaged);
    }
}
