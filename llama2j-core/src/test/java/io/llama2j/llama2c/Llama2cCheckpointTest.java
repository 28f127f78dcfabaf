package io.llama2j.llama2c;

import io.llama2j.TestData;
import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.model.RandomLlama;
import io.llama2j.tensor.Llama2cQ8Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class Llama2cCheckpointTest {
    @TempDir
    Path dir;

    static float[] logits(LlamaConfig c, LlamaWeights w, int... tokens) {
        return new Llama(c, w).forward(new InferenceState(c), tokens).clone();
    }

    @Test
    void stories260KHeaderIsReadAndTheClassifierIsShared() throws IOException {
        Llama2cCheckpoint ckpt = Llama2cCheckpoint.load(TestData.file("stories260K.bin"));
        assertThat(ckpt.version()).isZero();
        assertThat(ckpt.config()).isEqualTo(new LlamaConfig(64, 172, 5, 8, 4, 512, 512, 1e-5f, 10000f));
        assertThat(ckpt.weights().output()).isSameAs(ckpt.weights().tokenEmbedding());
    }

    @Test
    void writingStories260KAsVersion0ReproducesTheFileExceptForRoundingOfTheRopeTables() throws IOException {
        Path original = TestData.file("stories260K.bin");
        Llama2cCheckpoint ckpt = Llama2cCheckpoint.load(original);
        Path copy = dir.resolve("copy.bin");
        Llama2cWriter.writeV0(copy, ckpt.config(), ckpt.weights());
        byte[] a = Files.readAllBytes(original), b = Files.readAllBytes(copy);
        assertThat(b).hasSameSizeAs(a);
        // header and every weight before the freq_cis tables are byte-identical
        int tablesStart = a.length - 2 * 512 * 4 * 4;
        assertThat(Arrays.equals(a, 0, tablesStart, b, 0, tablesStart)).isTrue();
        FloatBufferView ta = new FloatBufferView(a, tablesStart), tb = new FloatBufferView(b, tablesStart);
        for (int i = 0; i < 2 * 512 * 4; i++) assertThat(tb.get(i)).isCloseTo(ta.get(i), within(2e-4f));
    }

    record FloatBufferView(byte[] bytes, int offset) {
        float get(int i) { return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getFloat(offset + 4 * i); }
    }

    @Test
    void untiedModelsRoundTripThroughVersion0WithANegativeVocabSize() throws IOException {
        LlamaConfig c = RandomLlama.smallConfig();
        LlamaWeights w = RandomLlama.weights(c, 1, false);
        Path file = dir.resolve("untied.bin");
        Llama2cWriter.writeV0(file, c, w);
        assertThat(ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN).getInt(20)).isEqualTo(-40);
        Llama2cCheckpoint back = Llama2cCheckpoint.load(file);
        assertThat(back.config()).isEqualTo(c);
        assertThat(back.weights().output()).isNotSameAs(back.weights().tokenEmbedding());
        // Weights round-trip bit for bit; logits may differ in the last float bits because the
        // Vector API's lane reductions may sum in another order over mapped and heap memory.
        RandomLlama.assertSameWeights(w, back.weights(), 0f);
        assertThat(logits(back.config(), back.weights(), 3, 1, 4))
                .containsExactly(logits(c, w, 3, 1, 4), org.assertj.core.data.Offset.offset(1e-5f));
    }

    @Test
    void version2Int8CheckpointMatchesTheFloatModelWithinQuantizationError() throws IOException {
        LlamaConfig c = RandomLlama.smallConfig();
        for (boolean tied : new boolean[]{true, false}) {
            LlamaWeights w = RandomLlama.weights(c, 2, tied);
            Path file = dir.resolve("q8-" + tied + ".bin");
            Files.write(file, Llama2cQ8Exporter.export(c, w, 16));
            Llama2cCheckpoint q = Llama2cCheckpoint.load(file);
            assertThat(q.version()).isEqualTo(2);
            assertThat(q.weights().wq()[0]).isInstanceOf(Llama2cQ8Tensor.class);
            assertThat(q.weights().output() == q.weights().tokenEmbedding()).isEqualTo(tied);
            // each weight is off by at most half a step, max|w| / 254 per group
            float[] exact = logits(c, w, 5, 9, 2, 7);
            float[] quantized = logits(q.config(), q.weights(), 5, 9, 2, 7);
            float maxDiff = 0, maxAbs = 0;
            for (int i = 0; i < exact.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(exact[i] - quantized[i]));
                maxAbs = Math.max(maxAbs, Math.abs(exact[i]));
            }
            assertThat(maxDiff).as("int8 error relative to logit range").isLessThan(0.05f * maxAbs).isGreaterThan(0f);
        }
    }

    @Test
    void q8TensorDotEqualsTheSumOfDequantizedProductsForLongRows() {
        // rows of 96 with groups of 64: vector lanes inside each group, groups straddling rows
        java.util.Random r = new java.util.Random(5);
        byte[] q = new byte[192];
        r.nextBytes(q);
        float[] scales = {0.01f, -0.02f, 0.03f};
        Llama2cQ8Tensor t = new Llama2cQ8Tensor(MemorySegment.ofArray(q), MemorySegment.ofArray(Llama2cQ8Exporter.floats(scales)), 64);
        float[] x = new float[96];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int row = 0; row < 2; row++) {
            double expected = 0;
            for (int i = 0; i < 96; i++) expected += (double) t.getFloat(row * 96L + i) * x[i];
            assertThat(t.dot(row * 96L, x, 0, 96)).isCloseTo((float) expected, within(1e-4f));
        }
    }

    @Test
    void q8TensorDotHandlesGroupsThatStraddleRows() {
        // 2 rows of 6 values, groups of 4: group 1 spans both rows
        byte[] q = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        float[] scales = {0.5f, 2f, -1f};
        Llama2cQ8Tensor t = new Llama2cQ8Tensor(MemorySegment.ofArray(q), MemorySegment.ofArray(Llama2cQ8Exporter.floats(scales)), 4);
        float[] x = {1, 1, 1, 1, 1, 1};
        assertThat(t.dot(0, x, 0, 6)).isEqualTo((1 + 2 + 3 + 4) * 0.5f + (5 + 6) * 2f);
        assertThat(t.dot(6, x, 0, 6)).isEqualTo((7 + 8) * 2f + (9 + 10 + 11 + 12) * -1f);
        assertThat(t.getFloat(6)).isEqualTo(14f);
        assertThat(t.byteSize()).isEqualTo(12 + 3 * 4);
    }

    // ---- rejected files: every message names the file and what was wrong

    Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    static byte[] header(int... ints) {
        ByteBuffer b = ByteBuffer.allocate(ints.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i : ints) b.putInt(i);
        return b.array();
    }

    @Test
    void aFileShorterThanTheHeaderIsRejected() throws IOException {
        Path p = write("short.bin", new byte[10]);
        assertThatThrownBy(() -> Llama2cCheckpoint.load(p)).isInstanceOf(IOException.class)
                .hasMessageContaining("short.bin").hasMessageContaining("10 bytes is too short");
    }

    @Test
    void aTruncatedCheckpointIsRejectedBeforeAnyTensorIsRead() throws IOException {
        byte[] full = Files.readAllBytes(TestData.file("stories260K.bin"));
        Path p = write("truncated.bin", Arrays.copyOf(full, full.length - 100));
        assertThatThrownBy(() -> Llama2cCheckpoint.load(p)).isInstanceOf(IOException.class)
                .hasMessageContaining("truncated.bin").hasMessageContaining("takes 1056540 bytes, the file has 1056440")
                .hasMessageContaining("truncated?");
    }

    @Test
    void impossibleHeaderFieldsAreRejectedWithTheFieldName() throws IOException {
        Path zeroLayers = write("zero.bin", header(64, 172, 0, 8, 4, 512, 512));
        assertThatThrownBy(() -> Llama2cCheckpoint.load(zeroLayers)).isInstanceOf(IOException.class)
                .hasMessageContaining("n_layers").hasMessageContaining("found 0");
        Path huge = write("huge.bin", header(64, Integer.MAX_VALUE, 5, 8, 4, 512, 512));
        assertThatThrownBy(() -> Llama2cCheckpoint.load(huge)).isInstanceOf(IOException.class)
                .hasMessageContaining("hidden_dim");
        Path badHeads = write("heads.bin", header(64, 172, 5, 7, 4, 512, 512));
        assertThatThrownBy(() -> Llama2cCheckpoint.load(badHeads)).isInstanceOf(IOException.class)
                .hasMessageContaining("invalid llama2.c header").hasMessageContaining("n_heads 7");
    }

    @Test
    void unknownVersionsAndBadGroupSizesAreRejected() throws IOException {
        byte[] v3 = Arrays.copyOf(header(Llama2cCheckpoint.MAGIC, 3), 256);
        Path p = write("v3.bin", v3);
        assertThatThrownBy(() -> Llama2cCheckpoint.load(p)).isInstanceOf(IOException.class)
                .hasMessageContaining("version 3 is not supported");
        LlamaConfig c = RandomLlama.smallConfig();
        byte[] q8 = Llama2cQ8Exporter.export(c, RandomLlama.weights(c, 3, true), 16);
        ByteBuffer.wrap(q8).order(ByteOrder.LITTLE_ENDIAN).putInt(37, 5);
        Path badGroup = write("group.bin", q8);
        assertThatThrownBy(() -> Llama2cCheckpoint.load(badGroup)).isInstanceOf(IOException.class)
                .hasMessageContaining("group_size must be a positive divisor of dim 32, found 5");
        Path shortV2 = write("shortv2.bin", Arrays.copyOf(header(Llama2cCheckpoint.MAGIC, 2), 100));
        assertThatThrownBy(() -> Llama2cCheckpoint.load(shortV2)).isInstanceOf(IOException.class)
                .hasMessageContaining("header is 256 bytes");
    }
}
