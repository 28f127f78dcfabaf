package io.llama2j.formats;

import io.llama2j.hf.HfModel;
import io.llama2j.hf.HfModelWriter;
import io.llama2j.llama2c.Llama2cCheckpoint;
import io.llama2j.llama2c.Llama2cWriter;
import io.llama2j.meta.MetaCheckpoint;
import io.llama2j.meta.MetaCheckpointWriter;
import io.llama2j.model.Llama;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.model.RandomLlama;
import io.llama2j.safetensors.SafetensorsDType;
import io.llama2j.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** One random GQA model saved in every layout runs to the same logits as the in-memory original. */
class SameLogitsAcrossFormatsTest {
    /**
     * Identical weights: the logits may differ only by the forward pass's own run-to-run jitter
     * (its parallel reductions; about 1e-7 here).
     */
    private static final float EXACT = 1e-5f;
    /** Column-merged shards sum a row's dot in pieces, which reorders float additions. */
    private static final float SUMMATION_ORDER_TOLERANCE = 1e-4f;
    private static final int[] PROMPT = {1, 17, 42, 5, 88, 3, 60};

    @TempDir Path dir;

    private final LlamaConfig config = RandomLlama.smallGqaConfig(96);
    private final LlamaWeights weights = RandomLlama.weights(config, 11, false);
    private final float[][] expected = logits(config, weights);

    private static float[][] logits(LlamaConfig c, LlamaWeights w) {
        Llama model = new Llama(c, w);
        return model.forwardAllLogits(model.newState(), PROMPT);
    }

    private void assertSameLogits(LlamaConfig c, LlamaWeights w, float tolerance) {
        float[][] actual = logits(c, w);
        for (int p = 0; p < PROMPT.length; p++) {
            assertThat(actual[p]).as("position " + p).containsExactly(expected[p], within(tolerance));
        }
    }

    @Test
    void huggingFaceSafetensors() throws IOException {
        HfModelWriter.write(dir, config, weights, SafetensorsDType.F32, null, false);
        try (HfModel m = HfModel.open(dir)) {
            assertSameLogits(m.config(), m.weights(), EXACT);
        }
    }

    @Test
    void metaOneShard() throws IOException {
        MetaCheckpointWriter.write(dir, config, weights, 1, GgmlType.F32, null);
        try (MetaCheckpoint m = MetaCheckpoint.open(dir, config.contextLength())) {
            assertSameLogits(m.config(), m.weights(), EXACT);
        }
    }

    @Test
    void metaTwoShards() throws IOException {
        MetaCheckpointWriter.write(dir, config, weights, 2, GgmlType.F32, null);
        try (MetaCheckpoint m = MetaCheckpoint.open(dir, config.contextLength())) {
            assertSameLogits(m.config(), m.weights(), SUMMATION_ORDER_TOLERANCE);
        }
    }

    @Test
    void llama2c() throws IOException {
        Path file = dir.resolve("model.bin");
        Llama2cWriter.writeV0(file, config, weights);
        Llama2cCheckpoint c = Llama2cCheckpoint.load(file);
        assertSameLogits(c.config(), c.weights(), EXACT);
    }
}
