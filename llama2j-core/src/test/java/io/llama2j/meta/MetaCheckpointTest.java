package io.llama2j.meta;

import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.model.RandomLlama;
import io.llama2j.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.llama2j.model.RandomLlama.assertSameWeights;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetaCheckpointTest {
    @TempDir Path dir;

    private final LlamaConfig config = RandomLlama.smallGqaConfig(96);
    private final LlamaWeights weights = RandomLlama.weights(config, 3, false);

    @ParameterizedTest(name = "{0} shard(s)")
    @ValueSource(ints = {1, 2})
    void shardedCheckpointsMergeToTheOriginalWeights(int shards) throws IOException {
        MetaCheckpointWriter.write(dir, config, weights, shards, GgmlType.F32, null);
        try (MetaCheckpoint m = MetaCheckpoint.open(dir, config.contextLength())) {
            assertThat(m.shardCount()).isEqualTo(shards);
            assertThat(m.config()).isEqualTo(config);
            assertSameWeights(weights, m.weights(), 0f);
        }
    }

    @Test
    void shardsAreCutAsMetaModelParallelismCutsThem() throws IOException {
        MetaCheckpointWriter.write(dir, config, weights, 2, GgmlType.F32, null);
        try (TorchCheckpoint s1 = TorchCheckpoint.open(dir.resolve("consolidated.01.pth"))) {
            assertThat(s1.shape("tok_embeddings.weight")).containsExactly(96, 32);        // ParallelEmbedding: dim 1
            assertThat(s1.shape("layers.0.attention.wk.weight")).containsExactly(16, 64); // ColumnParallel: dim 0
            assertThat(s1.shape("layers.0.attention.wo.weight")).containsExactly(64, 32); // RowParallel: dim 1
            assertThat(s1.shape("layers.0.feed_forward.w2.weight")).containsExactly(64, 96);
            assertThat(s1.shape("norm.weight")).containsExactly(64);                      // replicated
            // Row 3 of shard 1's wo is row 3, columns 32..63, of the full wo.
            var wo = s1.tensor("layers.0.attention.wo.weight");
            for (int c = 0; c < 32; c++) {
                assertThat(wo.getFloat(3 * 32 + c)).isEqualTo(weights.wo()[0].getFloat(3 * 64 + 32 + c));
            }
        }
    }

    @Test
    void bfloat16StoragesAsMetaShipsThemReadBackWithinRounding() throws IOException {
        MetaCheckpointWriter.write(dir, config, weights, 2, GgmlType.BF16, null);
        try (MetaCheckpoint m = MetaCheckpoint.open(dir, config.contextLength())) {
            assertThat(m.weights().wq()[1].type()).isEqualTo(GgmlType.BF16);
            // |w| < 8 here, and bfloat16 keeps 8 significant bits: half an ulp is at most 2^-6 · 2^-1.
            assertSameWeights(weights, m.weights(), 0x1p-6f);
        }
    }

    @Test
    void zip64ArchivesReadTheSame() throws IOException {
        MetaCheckpointWriter.write(dir, config, weights, 2, GgmlType.F32, null, true);
        try (MetaCheckpoint m = MetaCheckpoint.open(dir, config.contextLength())) {
            assertSameWeights(weights, m.weights(), 0f);
        }
    }

    @Test
    void paramsWithVocabMinusOneTakeTheVocabularyFromTheEmbedding() throws IOException {
        MetaCheckpointWriter.write(dir, config, weights, 1, GgmlType.F32, null);
        Files.writeString(dir.resolve("params.json"), """
                {"dim": 64, "multiple_of": 32, "n_heads": 4, "n_kv_heads": 2, "n_layers": 2, "norm_eps": 1e-05, "vocab_size": -1}""");
        try (MetaCheckpoint m = MetaCheckpoint.open(dir, 128)) {
            assertThat(m.config().vocabSize()).isEqualTo(96);
            assertThat(m.config().hiddenDim()).isEqualTo(192);
            assertThat(m.config().ropeTheta()).isEqualTo(10000f);
        }
    }

    @Test
    void tokenizerIsFoundInTheParentFolderAsMetaLaysItOut() throws IOException {
        Path model = dir.resolve("llama-2-7b");
        Path tokenizer = Files.writeString(dir.resolve("tokenizer.model"), "spm");
        MetaCheckpointWriter.write(model, config, weights, 1, GgmlType.F32, null);
        try (MetaCheckpoint m = MetaCheckpoint.open(model)) {
            assertThat(m.tokenizer()).isEqualTo(tokenizer.toAbsolutePath());
            assertThat(m.config().contextLength()).isEqualTo(MetaParams.LLAMA2_CONTEXT_LENGTH);
        }
    }

    @Test
    void aMissingShardIsNamed() throws IOException {
        MetaCheckpointWriter.write(dir, config, weights, 2, GgmlType.F32, null);
        Files.move(dir.resolve("consolidated.01.pth"), dir.resolve("consolidated.02.pth"));
        assertThatThrownBy(() -> MetaCheckpoint.open(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("consolidated.02.pth does not fit");
    }

    @Test
    void aShardOfTheWrongModelIsRejectedWithShapes() throws IOException {
        MetaCheckpointWriter.write(dir, config, weights, 1, GgmlType.F32, null);
        Files.writeString(dir.resolve("params.json"), """
                {"dim": 64, "multiple_of": 256, "n_heads": 4, "n_kv_heads": 2, "n_layers": 2, "norm_eps": 1e-05, "vocab_size": 96}""");
        assertThatThrownBy(() -> MetaCheckpoint.open(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("layers.0.feed_forward.w1.weight merges to [192, 64], expected [256, 64]");
    }

    @Test
    void shardCountMustDivideHeads() {
        assertThatThrownBy(() -> MetaCheckpointWriter.write(dir, config, weights, 4, GgmlType.F32, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("into 4 shards");
    }
}
