package io.llama2j.meta;

import io.llama2j.tensor.F32Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Damaged .pth archives and pickles fail with IOException or IllegalArgumentException, never anything else. */
class TorchCheckpointFuzzTest {
    private static final byte[] VALID_PTH = validPth();
    private static final byte[] VALID_PICKLE = TorchPickleWriter.stateDict(List.of(
            new TorchPickleWriter.Item("layers.0.attention.wq.weight", "0", TorchDType.F32, new long[]{4, 2}),
            new TorchPickleWriter.Item("norm.weight", "1", TorchDType.BF16, new long[]{2})));

    private static byte[] validPth() {
        try {
            Path tmp = Files.createTempFile("valid", ".pth");
            TorchCheckpointWriter.write(tmp, "consolidated.00", List.of(
                    TorchCheckpointWriter.Tensor.whole("w", new long[]{4, 2}, F32Tensor.of(new float[]{1, 2, 3, 4, 5, 6, 7, 8})),
                    TorchCheckpointWriter.Tensor.whole("norm.weight", new long[]{2}, F32Tensor.of(new float[]{1, 1}))),
                    TorchDType.F32, false);
            byte[] bytes = Files.readAllBytes(tmp);
            Files.delete(tmp);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void assertOpensOrFailsCleanly(byte[] bytes) throws IOException {
        Path p = Files.createTempFile("fuzz", ".pth");
        try {
            Files.write(p, bytes);
            Throwable thrown = catchThrowable(() -> {
                try (TorchCheckpoint c = TorchCheckpoint.open(p)) {
                    for (String name : c.tensors().keySet()) {
                        var t = c.tensor(name);
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

    private static void assertUnpicklesOrFailsCleanly(byte[] pickle) {
        Throwable thrown = catchThrowable(() -> TorchUnpickler.load("fuzz.pkl", pickle));
        if (thrown != null) {
            assertThat(thrown).isInstanceOf(IOException.class);
            assertThat(thrown.getMessage()).startsWith("fuzz.pkl: ");
        }
    }

    @Property(tries = 300)
    void truncatedArchivesFailCleanly(@ForAll @IntRange(min = 1, max = 100_000) int cut) throws IOException {
        assertOpensOrFailsCleanly(Arrays.copyOf(VALID_PTH, VALID_PTH.length - 1 - cut % VALID_PTH.length));
    }

    @Property(tries = 500)
    void byteFlipsInArchivesFailCleanly(@ForAll @IntRange(min = 0, max = 1_000_000) int position,
                                        @ForAll @IntRange(min = 1, max = 255) int xor) throws IOException {
        byte[] damaged = VALID_PTH.clone();
        damaged[position % damaged.length] ^= (byte) xor;
        assertOpensOrFailsCleanly(damaged);
    }

    @Property(tries = 500)
    void byteFlipsInPicklesFailCleanly(@ForAll @IntRange(min = 0, max = 1_000_000) int position,
                                       @ForAll @IntRange(min = 1, max = 255) int xor) {
        byte[] damaged = VALID_PICKLE.clone();
        damaged[position % damaged.length] ^= (byte) xor;
        assertUnpicklesOrFailsCleanly(damaged);
    }

    @Property(tries = 200)
    void truncatedPicklesFailCleanly(@ForAll @IntRange(min = 1, max = 100_000) int cut) {
        byte[] truncated = Arrays.copyOf(VALID_PICKLE, VALID_PICKLE.length - 1 - cut % VALID_PICKLE.length);
        Throwable thrown = catchThrowable(() -> TorchUnpickler.load("fuzz.pkl", truncated));
        assertThat(thrown).isInstanceOf(IOException.class);
    }

    @Property(tries = 300)
    void arbitraryBytesFailCleanly(@ForAll @Size(max = 64) byte[] garbage) {
        assertUnpicklesOrFailsCleanly(garbage);
    }
}
