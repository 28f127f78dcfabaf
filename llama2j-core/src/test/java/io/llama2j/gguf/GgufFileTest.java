package io.llama2j.gguf;

import io.llama2j.TestData;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** GgufFile on the real files of ../shared/testdata (facts from its PROVENANCE.md). */
class GgufFileTest {
    @TempDir Path dir;

    /** A small valid GGUF v3 file whose version field (bytes 4..7) is then set to {@code version}. */
    private Path fileWithVersion(int version) throws Exception {
        Path p = dir.resolve("v" + Integer.toHexString(version) + ".gguf");
        new GgufWriter().putString("general.name", "x").addTensor("t", GgmlType.F32, new long[]{2}, new float[]{1, 2}).write(p);
        byte[] bytes = Files.readAllBytes(p);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(4, version);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void aTensorOfATypeWithoutKernelIsRejectedNamingFileTensorAndType() throws Exception {
        Path p = dir.resolve("q5_0.gguf");
        new GgufWriter().addTensor("blk.0.attn_q.weight", GgmlType.Q5_0, new long[]{32},
                java.lang.foreign.MemorySegment.ofArray(new byte[GgmlType.Q5_0.bytesPerBlock()])).write(p);
        try (GgufFile gguf = GgufFile.open(p)) {
            assertThat(gguf.tensorInfo("blk.0.attn_q.weight").type()).isEqualTo(GgmlType.Q5_0);
            assertThatThrownBy(() -> gguf.tensor("blk.0.attn_q.weight"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("q5_0.gguf").hasMessageContaining("blk.0.attn_q.weight").hasMessageContaining("Q5_0");
        }
    }

    @Test
    void version2FilesReadLikeVersion3() throws Exception {
        try (GgufFile gguf = GgufFile.open(fileWithVersion(2))) {
            assertThat(gguf.version()).isEqualTo(2);
            assertThat(gguf.getString("general.name")).isEqualTo("x");
            assertThat(gguf.tensor("t").getFloat(1)).isEqualTo(2f);
        }
    }

    @Test
    void version1BigEndianAndForeignFilesAreRejectedWithTheReason() throws Exception {
        assertThatThrownBy(() -> GgufFile.open(fileWithVersion(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("version").hasMessageContaining("GGUF v1");
        assertThatThrownBy(() -> GgufFile.open(fileWithVersion(Integer.reverseBytes(3))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("big-endian");
        Path notGguf = dir.resolve("model.bin");
        Files.write(notGguf, new byte[64]);
        assertThatThrownBy(() -> GgufFile.open(notGguf))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("model.bin").hasMessageContaining("magic");
        Path tiny = dir.resolve("tiny.gguf");
        Files.write(tiny, new byte[]{'G', 'G', 'U', 'F'});
        assertThatThrownBy(() -> GgufFile.open(tiny))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tiny.gguf").hasMessageContaining("4 bytes");
    }

    @Test
    void stories260KHasTheDocumentedHeaderMetadataAndTensors() throws Exception {
        try (GgufFile gguf = GgufFile.open(TestData.file("stories260K.gguf"))) {
            assertThat(gguf.version()).isEqualTo(3);
            assertThat(gguf.tensors()).hasSize(48);
            assertThat(gguf.alignment()).isEqualTo(32);
            assertThat(gguf.dataOffset()).isEqualTo(14176);
            assertThat(gguf.getString("general.architecture")).isEqualTo("llama");
            assertThat(gguf.getInt("llama.block_count")).isEqualTo(5);
            assertThat(gguf.getInt("llama.embedding_length")).isEqualTo(64);
            assertThat(gguf.getInt("llama.feed_forward_length")).isEqualTo(172);
            assertThat(gguf.getInt("llama.attention.head_count")).isEqualTo(8);
            assertThat(gguf.getInt("llama.attention.head_count_kv")).isEqualTo(4);
            assertThat(gguf.getInt("llama.context_length")).isEqualTo(2048);
            assertThat(gguf.getFloat("llama.attention.layer_norm_rms_epsilon")).isEqualTo(1e-5f);
            String[] tokens = gguf.getStringArray("tokenizer.ggml.tokens");
            assertThat(tokens).hasSize(512);
            assertThat(tokens[1]).isEqualTo("<s>");
            assertThat(tokens[2]).isEqualTo("</s>");
            assertThat(gguf.getFloatArray("tokenizer.ggml.scores")).hasSize(512);
            assertThat(gguf.getIntArray("tokenizer.ggml.token_type")).hasSize(512);

            GgufTensorInfo embd = gguf.tensorInfo("token_embd.weight");
            assertThat(embd.type()).isEqualTo(GgmlType.F32);
            assertThat(embd.shape()).containsExactly(64, 512);
            FloatTensor e = gguf.tensor("token_embd.weight");
            FloatTensor out = gguf.tensor("output.weight");
            assertThat(e.size()).isEqualTo(64 * 512);
            for (long i = 0; i < e.size(); i += 97) {
                assertThat(out.getFloat(i)).isEqualTo(e.getFloat(i)); // output is byte-equal to token_embd
            }
        }
    }

    @Test
    void vocabOnlyFileHasNoTensorsAndTheLlama2Vocabulary() throws Exception {
        try (GgufFile gguf = GgufFile.open(TestData.file("ggml-vocab-llama-spm.gguf"))) {
            assertThat(gguf.tensors()).isEmpty();
            assertThat(gguf.getStringArray("tokenizer.ggml.tokens")).hasSize(32000);
            assertThat(gguf.getString("tokenizer.ggml.model")).isEqualTo("llama");
            assertThat(gguf.getBoolean("tokenizer.ggml.add_bos_token")).isTrue();
            assertThat(gguf.getInt("llama.block_count")).isEqualTo(32);
        }
    }

    @Test
    void typedAccessorsNameTheKeyAndTheFoundType() throws Exception {
        Path p = TestData.file("stories260K.gguf");
        try (GgufFile gguf = GgufFile.open(p)) {
            assertThatThrownBy(() -> gguf.getInt("general.architecture"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("general.architecture").hasMessageContaining("STRING");
            assertThatThrownBy(() -> gguf.getStringArray("tokenizer.ggml.scores"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tokenizer.ggml.scores").hasMessageContaining("FLOAT32");
            assertThatThrownBy(() -> gguf.getString("no.such.key"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no.such.key");
            assertThatThrownBy(() -> gguf.tensor("no.such.tensor"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no.such.tensor");
            assertThat(gguf.contains("general.architecture")).isTrue();
            assertThat(gguf.contains("no.such.key")).isFalse();
        }
    }
}
