package io.llama2j.formats;

import io.llama2j.TestData;
import io.llama2j.hf.HfModel;
import io.llama2j.hf.HfModelWriter;
import io.llama2j.llama2c.Llama2cCheckpoint;
import io.llama2j.meta.MetaCheckpoint;
import io.llama2j.meta.MetaCheckpointWriter;
import io.llama2j.model.Llama;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.safetensors.SafetensorsDType;
import io.llama2j.tensor.GgmlType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The real stories260K checkpoint (GQA: 8 heads, 4 kv heads) saved as HF safetensors and as a
 * 2-shard Meta checkpoint runs to the logits of the llama2.c original: the HF k_proj permutation
 * must use the kv head count for this to hold.
 */
class Stories260kAcrossFormatsTest {
    private static final int[] PROMPT = {1, 403, 407, 261, 378}; // "Once upon a time" (PROVENANCE.md)
    private static final float SUMMATION_ORDER_TOLERANCE = 1e-4f;
    /** Identical weights: only the forward pass's run-to-run jitter (parallel reductions) remains. */
    private static final float RUN_TO_RUN_TOLERANCE = 1e-5f;

    @TempDir Path dir;
    private LlamaConfig config;
    private LlamaWeights weights;
    private float[][] expected;

    @BeforeEach
    void loadOriginal() throws IOException {
        Llama2cCheckpoint c = Llama2cCheckpoint.load(TestData.file("stories260K.bin"));
        config = c.config();
        weights = c.weights();
        expected = logits(config, weights);
    }

    private static float[][] logits(LlamaConfig c, LlamaWeights w) {
        Llama model = new Llama(c, w);
        return model.forwardAllLogits(model.newState(), PROMPT);
    }

    @Test
    void huggingFaceExportRunsToIdenticalLogits() throws IOException {
        HfModelWriter.write(dir, config, weights, SafetensorsDType.F32, null, true);
        try (HfModel m = HfModel.open(dir)) {
            assertThat(m.config()).isEqualTo(config);
            float[][] actual = logits(m.config(), m.weights());
            for (int p = 0; p < PROMPT.length; p++) assertThat(actual[p]).as("position " + p).containsExactly(expected[p], within(RUN_TO_RUN_TOLERANCE));
        }
    }

    @Test
    void twoShardMetaExportRunsToTheSameLogits() throws IOException {
        MetaCheckpointWriter.write(dir, config, weights, 2, GgmlType.F32, null);
        try (MetaCheckpoint m = MetaCheckpoint.open(dir, config.contextLength())) {
            assertThat(m.config()).isEqualTo(config);
            float[][] actual = logits(m.config(), m.weights());
            for (int p = 0; p < PROMPT.length; p++) {
                assertThat(actual[p]).as("position " + p).containsExactly(expected[p], within(SUMMATION_ORDER_TOLERANCE));
            }
        }
    }
}
