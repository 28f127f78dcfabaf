package io.llama2j.meta;

import io.llama2j.tensor.F32Tensor;
import io.llama2j.tensor.FloatTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TorchCheckpointTest {
    @TempDir Path dir;

    private Path writeSmall(String name) throws IOException {
        Path p = dir.resolve(name);
        FloatTensor t = F32Tensor.of(new float[]{1, 2, 3, 4, 5, 6});
        TorchCheckpointWriter.write(p, "archive", List.of(
                TorchCheckpointWriter.Tensor.whole("w", new long[]{2, 3}, t),
                TorchCheckpointWriter.Tensor.whole("b", new long[]{3}, F32Tensor.of(new float[]{7, 8, 9}))),
                TorchDType.F32, false);
        return p;
    }

    @Test
    void writtenArchiveIsAValidZipWithAlignedStoredEntries() throws IOException {
        Path p = writeSmall("m.pth");
        try (ZipFile z = new ZipFile(p.toFile())) { // the JDK's reader checks structure and CRCs
            assertThat(z.stream().map(ZipEntry::getName))
                    .containsExactly("archive/data.pkl", "archive/byteorder", "archive/data/0", "archive/data/1", "archive/version");
            assertThat(z.stream().allMatch(e -> e.getMethod() == ZipEntry.STORED)).isTrue();
            assertThat(new String(z.getInputStream(z.getEntry("archive/byteorder")).readAllBytes(), StandardCharsets.US_ASCII))
                    .isEqualTo("little");
        }
        try (StoredZip z = StoredZip.open(p, false)) {
            // The mapping starts page-aligned, so an address that is a multiple of 64 is a file offset that is one.
            assertThat(z.entry("archive/data/0").address() % StoredZipWriter.DATA_ALIGNMENT).isZero();
            assertThat(z.entry("archive/data/1").address() % StoredZipWriter.DATA_ALIGNMENT).isZero();
            assertThat(z.entry("archive/data/1").byteSize()).isEqualTo(12);
        }
    }

    @Test
    void tensorsReadBackWithShapes() throws IOException {
        try (TorchCheckpoint c = TorchCheckpoint.open(writeSmall("m.pth"))) {
            assertThat(c.tensors().keySet()).containsExactly("w", "b");
            assertThat(c.shape("w")).containsExactly(2, 3);
            assertThat(c.tensor("w").getFloat(5)).isEqualTo(6f);
            assertThat(c.tensor("b").getFloat(0)).isEqualTo(7f);
        }
    }

    @Test
    void compressedEntriesAreRejected() throws IOException {
        Path p = dir.resolve("deflated.pth");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(p))) {
            z.putNextEntry(new ZipEntry("archive/data.pkl"));
            z.write(new byte[]{(byte) 0x80, 2, '}', '.'});
            z.closeEntry();
        }
        assertThatThrownBy(() -> TorchCheckpoint.open(p)).isInstanceOf(IOException.class)
                .hasMessageContaining("archive/data.pkl is compressed");
    }

    @Test
    void corruptPickleIsCaughtByItsCrc() throws IOException {
        Path p = writeSmall("m.pth");
        byte[] bytes = Files.readAllBytes(p);
        int at = indexOf(bytes, "_rebuild_tensor_v2".getBytes(StandardCharsets.US_ASCII));
        bytes[at] ^= 1;
        Files.write(p, bytes);
        assertThatThrownBy(() -> TorchCheckpoint.open(p)).isInstanceOf(IOException.class)
                .hasMessageContaining("data.pkl is corrupt: CRC-32");
    }

    @Test
    void aStorageTooSmallForItsTensorIsRejected() throws IOException {
        Path p = dir.resolve("short.pth");
        byte[] pickle = TorchPickleWriter.stateDict(List.of(new TorchPickleWriter.Item("w", "0", TorchDType.F32, new long[]{4})));
        try (StoredZipWriter z = new StoredZipWriter(p, false)) {
            z.add("archive/data.pkl", pickle);
            z.add("archive/data/0", new byte[8]);
        }
        assertThatThrownBy(() -> TorchCheckpoint.open(p)).isInstanceOf(IOException.class)
                .hasMessageContaining("storage 0 holds 8 bytes, expected 16");
    }

    @Test
    void aPickleNamingOsSystemIsRefusedWithoutRunningIt() throws IOException {
        // The classic exploit: os.system("echo pwned"), as pickle.dumps of a __reduce__ emits it.
        ByteArrayOutputStream evil = new ByteArrayOutputStream();
        evil.write(new byte[]{(byte) 0x80, 2});
        evil.writeBytes("cos\nsystem\n".getBytes(StandardCharsets.US_ASCII));
        evil.writeBytes(new byte[]{'X', 10, 0, 0, 0});
        evil.writeBytes("echo pwned".getBytes(StandardCharsets.US_ASCII));
        evil.writeBytes(new byte[]{(byte) 0x85, 'R', '.'});
        assertThatThrownBy(() -> TorchUnpickler.load("evil.pkl", evil.toByteArray())).isInstanceOf(IOException.class)
                .hasMessageContaining("refusing global 'os.system'");
        // STACK_GLOBAL (protocol 4) gets the same check.
        byte[] stackGlobal = {(byte) 0x80, 4, (byte) 0x8c, 8, 'b', 'u', 'i', 'l', 't', 'i', 'n', 's', (byte) 0x8c, 4, 'e', 'v', 'a', 'l',
                (byte) 0x93, '.'};
        assertThatThrownBy(() -> TorchUnpickler.load("evil.pkl", stackGlobal)).isInstanceOf(IOException.class)
                .hasMessageContaining("refusing global 'builtins.eval'");
    }

    @Test
    void opcodesOutsideStateDictsAreRefused() {
        byte[] inst = {(byte) 0x80, 2, 'i', 'o', 's', '\n', 's', 'y', 's', 't', 'e', 'm', '\n', '.'};
        assertThatThrownBy(() -> TorchUnpickler.load("x.pkl", inst)).isInstanceOf(IOException.class)
                .hasMessageContaining("opcode 0x69 is not allowed");
    }

    @Test
    void unpicklerReadsWhatTheWriterWrites() throws IOException {
        byte[] pickle = TorchPickleWriter.stateDict(List.of(
                new TorchPickleWriter.Item("a.weight", "0", TorchDType.BF16, new long[]{3, 5_000_000_000L})));
        Object root = TorchUnpickler.load("x.pkl", pickle);
        assertThat(root).isInstanceOf(Map.class);
        TorchTensor t = (TorchTensor) ((Map<?, ?>) root).get("a.weight");
        assertThat(t.shape()).containsExactly(3, 5_000_000_000L);
        assertThat(t.stride()).containsExactly(5_000_000_000L, 1);
        assertThat(t.storage()).isEqualTo(new TorchStorageRef("0", TorchDType.BF16, 15_000_000_000L));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }

}
