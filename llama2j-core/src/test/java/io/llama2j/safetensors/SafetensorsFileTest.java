package io.llama2j.safetensors;

import io.llama2j.tensor.F32Tensor;
import io.llama2j.tensor.FloatTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsFileTest {
    @TempDir Path dir;

    /** A file made of the 8-byte length, {@code json} and {@code dataBytes} zero bytes. */
    static byte[] rawFile(String json, int dataBytes) {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        return b.array();
    }

    private Path file(byte[] bytes) throws IOException {
        Path p = dir.resolve("t.safetensors");
        Files.write(p, bytes);
        return p;
    }

    @Test
    void writtenTensorsReadBackWithShapesDtypesAndMetadata() throws IOException {
        float[] a = {1f, -2.5f, 3.25f, 0f, 1e-3f, 65504f};
        float[] b = {0.5f, -0.75f, 2f, 8f};
        Path p = dir.resolve("m.safetensors");
        new SafetensorsWriter().metadata("format", "pt")
                .add("a", SafetensorsDType.F32, new long[]{2, 3}, F32Tensor.of(a))
                .add("b", SafetensorsDType.F32, new long[]{4}, F32Tensor.of(b))
                .write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.metadata()).isEqualTo(Map.of("format", "pt"));
            assertThat(f.tensors().keySet()).containsExactly("a", "b");
            assertThat(f.info("a").shape()).containsExactly(2, 3);
            assertThat(f.info("a").dtype()).isEqualTo(SafetensorsDType.F32);
            FloatTensor ta = f.tensor("a");
            for (int i = 0; i < a.length; i++) assertThat(ta.getFloat(i)).isEqualTo(a[i]);
            FloatTensor tb = f.tensor("b");
            for (int i = 0; i < b.length; i++) assertThat(tb.getFloat(i)).isEqualTo(b[i]);
        }
    }

    @Test
    void dataSectionStartsEightByteAligned() throws IOException {
        Path p = dir.resolve("m.safetensors");
        new SafetensorsWriter().add("odd_name_x", SafetensorsDType.F32, new long[]{1}, F32Tensor.of(new float[]{1f})).write(p);
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(p), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat((8 + headerLength) % 8).isZero();
    }

    @Test
    void halfAndBfloat16TensorsRoundTripThroughTheirOwnDtype() throws IOException {
        float[] exact = {1.5f, -2f, 0.25f, 1024f}; // representable in both F16 and BF16
        for (SafetensorsDType dtype : new SafetensorsDType[]{SafetensorsDType.F16, SafetensorsDType.BF16}) {
            Path p = dir.resolve(dtype + ".safetensors");
            new SafetensorsWriter().add("w", dtype, new long[]{4}, F32Tensor.of(exact)).write(p);
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                assertThat(f.info("w").byteSize()).isEqualTo(8);
                assertThat(f.tensor("w").type()).isEqualTo(dtype.ggmlType());
                for (int i = 0; i < exact.length; i++) assertThat(f.tensor("w").getFloat(i)).isEqualTo(exact[i]);
            }
        }
    }

    @Test
    void rejectsAFileShorterThanTheLengthPrefix() throws IOException {
        Path p = file(new byte[5]);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(IOException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("5 bytes");
    }

    @Test
    void rejectsAHeaderLengthBeyondTheFile() throws IOException {
        byte[] bytes = rawFile("{}", 0);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE);
        Path p = file(bytes);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(IOException.class)
                .hasMessageContaining("header length " + Long.MAX_VALUE);
    }

    @Test
    void rejectsUnknownDtypesByName() throws IOException {
        Path p = file(rawFile("{\"w\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2));
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(IOException.class)
                .hasMessageContaining("tensor 'w'").hasMessageContaining("unsupported dtype 'Q4'");
    }

    @Test
    void validDtypesThatAreNotWeightsFailOnlyWhenReadAsWeights() throws IOException {
        Path p = file(rawFile("{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.bytes("ids").byteSize()).isEqualTo(16);
            assertThatThrownBy(() -> f.tensor("ids")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'ids' has unsupported dtype I64");
        }
    }

    @Test
    void rejectsASizeThatDisagreesWithShapeTimesDtype() throws IOException {
        Path p = file(rawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20));
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(IOException.class)
                .hasMessageContaining("needs 24 bytes").hasMessageContaining("span 20");
    }

    @Test
    void rejectsOffsetsPastTheEndOfTheData() throws IOException {
        Path p = file(rawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8));
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(IOException.class)
                .hasMessageContaining("out of range");
    }

    @Test
    void rejectsOverlappingTensors() throws IOException {
        Path p = file(rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12));
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(IOException.class)
                .hasMessageContaining("overlaps");
    }

    @Test
    void rejectsHolesInTheData() throws IOException {
        Path p = file(rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8));
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(IOException.class)
                .hasMessageContaining("belong to no tensor");
    }

    @Test
    void rejectsDuplicateTensorNames() throws IOException {
        Path p = file(rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8));
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(IOException.class)
                .hasMessageContaining("not valid JSON").hasMessageContaining("Duplicate");
    }

    @Test
    void rejectsNonStringMetadata() throws IOException {
        Path p = file(rawFile("{\"__metadata__\":{\"n\":3}}", 0));
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(IOException.class)
                .hasMessageContaining("__metadata__.n must be a string");
    }

    @Test
    void missingTensorNamesTheFile() throws IOException {
        Path p = file(rawFile("{}", 0));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThatThrownBy(() -> f.tensor("nope")).hasMessageContaining(p.toString()).hasMessageContaining("'nope'");
        }
    }
}
