package io.llama2j.gguf;

import io.llama2j.TestData;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** GgufWriter output read back by GgufFile: every metadata type and every tensor type, aligned. */
class GgufWriterTest {
    @TempDir Path dir;

    @Test
    void metadataOfEveryTypeRoundTrips() throws Exception {
        GgufWriter w = new GgufWriter()
                .put("u8", GgufValueType.UINT8, 255)
                .put("i8", GgufValueType.INT8, -128)
                .put("u16", GgufValueType.UINT16, 65535)
                .put("i16", GgufValueType.INT16, -32768)
                .putUInt32("u32", 4_000_000_000L)
                .putInt32("i32", -7)
                .putFloat32("f32", 1e-5f)
                .putBoolean("bool", true)
                .putString("str", "llama ▁ 🦙")
                .putUInt64("u64", 1L << 40)
                .put("i64", GgufValueType.INT64, -1L << 40)
                .put("f64", GgufValueType.FLOAT64, Math.PI)
                .putArray("a.u8", GgufValueType.UINT8, new int[]{0, 200})
                .putArray("a.i32", GgufValueType.INT32, new int[]{-1, 2, 3})
                .putArray("a.u32", GgufValueType.UINT32, new long[]{4_000_000_000L})
                .putArray("a.f32", GgufValueType.FLOAT32, new float[]{0.5f, -2f})
                .putArray("a.f64", GgufValueType.FLOAT64, new double[]{1e300})
                .putArray("a.bool", GgufValueType.BOOL, new boolean[]{true, false})
                .putArray("a.str", GgufValueType.STRING, new String[]{"<s>", "", "</s>"})
                .putArray("a.nested", GgufValueType.ARRAY, new Object[]{new int[]{1}, new String[]{"x"}});
        Path p = dir.resolve("meta.gguf");
        w.write(p);
        try (GgufFile g = GgufFile.open(p)) {
            assertThat(g.version()).isEqualTo(3);
            assertThat(g.getInt("u8")).isEqualTo(255);
            assertThat(g.getInt("i8")).isEqualTo(-128);
            assertThat(g.getInt("u16")).isEqualTo(65535);
            assertThat(g.getInt("i16")).isEqualTo(-32768);
            assertThat(g.getLong("u32")).isEqualTo(4_000_000_000L);
            assertThatThrownBy(() -> g.getInt("u32")).hasMessageContaining("u32").hasMessageContaining("4000000000");
            assertThat(g.getInt("i32")).isEqualTo(-7);
            assertThat(g.getFloat("f32")).isEqualTo(1e-5f);
            assertThat(g.getBoolean("bool")).isTrue();
            assertThat(g.getString("str")).isEqualTo("llama ▁ 🦙");
            assertThat(g.getLong("u64")).isEqualTo(1L << 40);
            assertThat(g.getLong("i64")).isEqualTo(-1L << 40);
            assertThat(g.metadata().get("f64")).isEqualTo(Math.PI);
            assertThat(g.getIntArray("a.u8")).containsExactly(0, 200);
            assertThat(g.getIntArray("a.i32")).containsExactly(-1, 2, 3);
            assertThat((long[]) g.metadata().get("a.u32")).containsExactly(4_000_000_000L);
            assertThat(g.getFloatArray("a.f32")).containsExactly(0.5f, -2f);
            assertThat((double[]) g.metadata().get("a.f64")).containsExactly(1e300);
            assertThat((boolean[]) g.metadata().get("a.bool")).containsExactly(true, false);
            assertThat(g.getStringArray("a.str")).containsExactly("<s>", "", "</s>");
            Object[] nested = (Object[]) g.metadata().get("a.nested");
            assertThat((int[]) nested[0]).containsExactly(1);
            assertThat((String[]) nested[1]).containsExactly("x");
            for (String key : List.of("u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "u64", "i64", "f64")) {
                assertThat(g.valueType(key).name().toLowerCase()).startsWith(key.substring(0, 1));
            }
            assertThat(g.arrayElementType("a.u8")).isEqualTo(GgufValueType.UINT8);
            assertThat(g.arrayElementType("a.u32")).isEqualTo(GgufValueType.UINT32);
        }
    }

    @Test
    void tensorsOfEveryTypeRoundTripAlignedAndInOrder() throws Exception {
        Random random = new Random(3);
        GgufWriter w = new GgufWriter().alignment(64).putString("general.architecture", "llama");
        GgmlType[] types = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0,
                GgmlType.Q4_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K};
        byte[][] raw = new byte[types.length][];
        for (int i = 0; i < types.length; i++) {
            long[] shape = {types[i].blockSize() == 1 ? 3 : types[i].blockSize(), 2 + i};
            raw[i] = new byte[(int) types[i].byteSize(shape[0] * shape[1])];
            random.nextBytes(raw[i]);
            w.addTensor("t." + types[i], types[i], shape, MemorySegment.ofArray(raw[i]));
        }
        float[] values = new float[64];
        for (int i = 0; i < values.length; i++) values[i] = (float) random.nextGaussian();
        w.addTensor("from.floats", GgmlType.Q8_0, new long[]{32, 2}, values);
        Path p = dir.resolve("tensors.gguf");
        w.write(p);
        try (GgufFile g = GgufFile.open(p)) {
            assertThat(g.alignment()).isEqualTo(64);
            assertThat(g.dataOffset() % 64).isZero();
            assertThat(g.tensors()).extracting(GgufTensorInfo::name).startsWith("t.F32", "t.F16").endsWith("from.floats");
            for (int i = 0; i < types.length; i++) {
                GgufTensorInfo info = g.tensorInfo("t." + types[i]);
                assertThat(info.type()).isEqualTo(types[i]);
                assertThat(info.shape()).containsExactly(types[i].blockSize() == 1 ? 3 : types[i].blockSize(), 2 + i);
                assertThat(info.offset() % 64).isZero();
                assertThat(g.tensorData(info).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(raw[i]);
            }
            FloatTensor q = g.tensor("from.floats");
            for (int i = 0; i < values.length; i++) assertThat(Math.abs(q.getFloat(i) - values[i])).isLessThan(0.05f);
            assertThat(Files.size(p) % 64).isZero();
        }
    }

    @Test
    void copyingARealFileKeepsItsMetadataTypesAndTensorBytes() throws Exception {
        Path p = dir.resolve("copy.gguf");
        try (GgufFile source = GgufFile.open(TestData.file("gguf/tiny-llama2-Q4_K_M.gguf"))) {
            GgufWriter w = new GgufWriter().copyMetadata(source);
            for (GgufTensorInfo t : source.tensors()) w.addTensor(t.name(), t.type(), t.shape(), source.tensorData(t));
            w.write(p);
            try (GgufFile copy = GgufFile.open(p)) {
                assertThat(copy.metadata().keySet()).containsExactlyElementsOf(source.metadata().keySet());
                for (String key : source.metadata().keySet()) {
                    assertThat(copy.valueType(key)).as(key).isEqualTo(source.valueType(key));
                    assertThat(copy.metadata().get(key)).as(key).isEqualTo(source.metadata().get(key));
                }
                assertThat(copy.tensors()).isEqualTo(source.tensors());
                // same layout as llama.cpp's writer: the whole file is byte-identical
                assertThat(Files.mismatch(p, source.path())).isEqualTo(-1);
            }
        }
    }

    @Test
    void invalidInputIsRejectedWithTheKeyOrTensorName() {
        GgufWriter w = new GgufWriter();
        assertThatThrownBy(() -> w.put("k", GgufValueType.UINT8, 256)).hasMessageContaining("k").hasMessageContaining("UINT8");
        assertThatThrownBy(() -> w.putArray("a", GgufValueType.FLOAT32, new int[1])).hasMessageContaining("a").hasMessageContaining("FLOAT32");
        assertThatThrownBy(() -> w.addTensor("t", GgmlType.Q8_0, new long[]{33}, MemorySegment.ofArray(new byte[34])))
                .hasMessageContaining("t").hasMessageContaining("32");
        assertThatThrownBy(() -> w.addTensor("t", GgmlType.F32, new long[]{4}, MemorySegment.ofArray(new byte[15])))
                .hasMessageContaining("t").hasMessageContaining("16");
        assertThatThrownBy(() -> w.alignment(48)).hasMessageContaining("48");
    }
}
