package io.llama2j.lora;

import io.llama2j.hf.HfRopePermutation;
import io.llama2j.model.Llama;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.model.RandomLlama;
import io.llama2j.safetensors.SafetensorsFile;
import io.llama2j.tensor.F32Tensor;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.Parallel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** LoRA at inference: the unmerged adapter path, merging, and PEFT's adapter folder. */
class LoraAdapterTest {
    private static final LlamaConfig CONFIG = RandomLlama.smallConfig();
    private static final int[] TOKENS = {1, 7, 22, 3, 39, 11};

    private static float[][] logits(Llama llama) {
        return llama.forwardAllLogits(llama.newState(), TOKENS);
    }

    @Test
    void unmergedAdapterGivesTheLogitsOfTheMergedModel() {
        LlamaWeights base = RandomLlama.weights(CONFIG, 1, false);
        LoraAdapter adapter = RandomLora.adapter(CONFIG, RandomLora.everyProjection(4, 8), 2);
        float[][] withAdapter = logits(new Llama(CONFIG, base, Parallel.shared(), adapter));
        float[][] merged = logits(new Llama(CONFIG, adapter.mergeInto(CONFIG, base)));
        float[][] plain = logits(new Llama(CONFIG, base));
        for (int t = 0; t < TOKENS.length; t++) {
            for (int v = 0; v < CONFIG.vocabSize(); v++) {
                assertThat(withAdapter[t][v]).as("token %d logit %d", t, v).isCloseTo(merged[t][v], within(1e-3f));
            }
        }
        assertThat(maxDifference(withAdapter, plain)).as("the adapter changes the logits").isGreaterThan(0.1f);
    }

    @Test
    void zeroBLeavesTheLogitsUnchanged() {
        LlamaWeights base = RandomLlama.weights(CONFIG, 3, false);
        LoraAdapter adapter = RandomLora.adapter(CONFIG, RandomLora.everyProjection(2, 16), 4);
        for (LoraTarget t : LoraTarget.values()) {
            for (int l = 0; l < CONFIG.nLayers(); l++) java.util.Arrays.fill(adapter.weights(t, l).b(), 0f);
        }
        assertThat(maxDifference(logits(new Llama(CONFIG, base, Parallel.shared(), adapter)), logits(new Llama(CONFIG, base))))
                .isZero();
    }

    @Test
    void scaleIsAlphaOverRankOrAlphaOverRootRankWhenRankStabilized() {
        assertThat(new LoraConfig(8, 16, 0, LoraConfig.DEFAULT_TARGETS).scale()).isEqualTo(2f);
        assertThat(new LoraConfig(16, 16, 0, LoraConfig.DEFAULT_TARGETS, true).scale()).isEqualTo(4f);
    }

    @Test
    void peftFolderRoundTripsEveryMatrixAndTheConfig(@TempDir Path dir) throws IOException {
        LoraConfig config = new LoraConfig(3, 6, 0.1, EnumSet.of(LoraTarget.Q, LoraTarget.K, LoraTarget.DOWN));
        LoraAdapter adapter = RandomLora.adapter(CONFIG, config, 5);
        PeftAdapterFiles.write(dir, adapter, CONFIG, "base");
        LoraAdapter read = PeftAdapterFiles.read(dir, CONFIG);
        assertThat(read.config()).isEqualTo(config);
        for (LoraTarget t : config.targets()) {
            for (int l = 0; l < CONFIG.nLayers(); l++) {
                assertThat(read.weights(t, l).a()).isEqualTo(adapter.weights(t, l).a());
                assertThat(read.weights(t, l).b()).isEqualTo(adapter.weights(t, l).b());
            }
        }
        assertThat(read.adapts(LoraTarget.V)).isFalse();
        assertThat(Files.readString(dir.resolve(PeftAdapterFiles.CONFIG_FILE)))
                .contains("\"r\" : 3", "\"lora_alpha\" : 6.0", "\"q_proj\"", "\"k_proj\"", "\"down_proj\"");
    }

    @Test
    void queryAndKeyBRowsAreStoredInHuggingFaceOrderLikeTheBaseWeights(@TempDir Path dir) throws IOException {
        // In HF's space the merged q_proj is W_hf + s·B_hf·A; seen in Meta's layout it must equal our merge.
        LlamaWeights base = RandomLlama.weights(CONFIG, 6, false);
        LoraAdapter adapter = RandomLora.adapter(CONFIG, RandomLora.everyProjection(2, 4), 7);
        PeftAdapterFiles.write(dir, adapter, CONFIG, null);
        float scale = adapter.config().scale();
        try (SafetensorsFile file = SafetensorsFile.open(dir.resolve(PeftAdapterFiles.WEIGHTS_FILE))) {
            for (LoraTarget t : new LoraTarget[]{LoraTarget.Q, LoraTarget.K}) {
                FloatTensor metaW = t == LoraTarget.Q ? base.wq()[1] : base.wk()[1];
                int rows = t.rows(CONFIG), cols = t.columns(CONFIG), heads = t.ropeHeads(CONFIG), r = 2;
                float[] hfW = values(HfRopePermutation.toHf(metaW, heads, rows, cols));
                float[] a = values(file.tensor(PeftAdapterFiles.tensorName(1, t, "lora_A")));
                float[] bHf = values(file.tensor(PeftAdapterFiles.tensorName(1, t, "lora_B")));
                for (int o = 0; o < rows; o++) {
                    for (int i = 0; i < cols; i++) {
                        for (int k = 0; k < r; k++) hfW[o * cols + i] += scale * bHf[o * r + k] * a[k * cols + i];
                    }
                }
                float[] expected = values(HfRopePermutation.toMeta(F32Tensor.of(hfW), heads, rows, cols));
                float[] merged = adapter.merged(t, 1, metaW);
                for (int i = 0; i < expected.length; i++) assertThat(merged[i]).as("%s[%d]", t, i).isCloseTo(expected[i], within(1e-5f));
            }
        }
    }

    @Test
    void readNamesTheMissingTensor(@TempDir Path dir) throws IOException {
        PeftAdapterFiles.write(dir, RandomLora.adapter(CONFIG, RandomLora.everyProjection(2, 4), 8), CONFIG, null);
        LlamaConfig deeper = new LlamaConfig(CONFIG.dim(), CONFIG.hiddenDim(), 3, CONFIG.nHeads(), CONFIG.nKvHeads(),
                CONFIG.vocabSize(), CONFIG.contextLength(), CONFIG.rmsNormEps(), CONFIG.ropeTheta());
        assertThatThrownBy(() -> PeftAdapterFiles.read(dir, deeper))
                .isInstanceOf(IOException.class).hasMessageContaining("layers.2.self_attn.q_proj.lora_A.weight");
    }

    @Test
    void readNamesTheTensorOfTheWrongShape(@TempDir Path dir) throws IOException {
        PeftAdapterFiles.write(dir, RandomLora.adapter(CONFIG, RandomLora.everyProjection(2, 4), 9), CONFIG, null);
        LlamaConfig wider = new LlamaConfig(64, CONFIG.hiddenDim(), CONFIG.nLayers(), CONFIG.nHeads(), CONFIG.nKvHeads(),
                CONFIG.vocabSize(), CONFIG.contextLength(), CONFIG.rmsNormEps(), CONFIG.ropeTheta());
        assertThatThrownBy(() -> PeftAdapterFiles.read(dir, wider))
                .isInstanceOf(IOException.class).hasMessageContaining("q_proj.lora_A.weight")
                .hasMessageContaining("[2, 32]").hasMessageContaining("expected [2, 64]");
    }

    @Test
    void readRejectsAConfigWithoutRankOrWithAnUnknownModule(@TempDir Path dir) throws IOException {
        Path config = dir.resolve(PeftAdapterFiles.CONFIG_FILE);
        Files.writeString(config, "{\"peft_type\":\"LORA\",\"lora_alpha\":16,\"target_modules\":[\"q_proj\"]}");
        assertThatThrownBy(() -> PeftAdapterFiles.readConfig(config)).hasMessageContaining("'r'").hasMessageContaining(config.toString());
        Files.writeString(config, "{\"r\":8,\"lora_alpha\":16,\"target_modules\":[\"c_attn\"]}");
        assertThatThrownBy(() -> PeftAdapterFiles.readConfig(config)).hasMessageContaining("c_attn");
        Files.writeString(config, "{\"r\":0,\"lora_alpha\":16,\"target_modules\":[\"q_proj\"]}");
        assertThatThrownBy(() -> PeftAdapterFiles.readConfig(config)).hasMessageContaining("rank r must be at least 1, found 0");
        assertThatThrownBy(() -> PeftAdapterFiles.read(dir.resolve("absent"), CONFIG)).hasMessageContaining("adapter_config.json");
    }

    private static float[] values(FloatTensor t) {
        float[] v = new float[Math.toIntExact(t.size())];
        t.dequantize(0, v, 0, v.length);
        return v;
    }

    private static float maxDifference(float[][] x, float[][] y) {
        float max = 0;
        for (int t = 0; t < x.length; t++) for (int v = 0; v < x[t].length; v++) max = Math.max(max, Math.abs(x[t][v] - y[t][v]));
        return max;
    }
}
