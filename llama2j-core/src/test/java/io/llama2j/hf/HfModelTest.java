package io.llama2j.hf;

import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.model.RandomLlama;
import io.llama2j.safetensors.SafetensorsDType;
import io.llama2j.safetensors.SafetensorsFile;
import io.llama2j.safetensors.SafetensorsWriter;
import io.llama2j.tensor.F32Tensor;
import io.llama2j.tensor.FloatTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.llama2j.model.RandomLlama.assertSameWeights;
import static io.llama2j.model.RandomLlama.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HfModelTest {
    @TempDir Path dir;

    private final LlamaConfig config = RandomLlama.smallGqaConfig(96);
    private final LlamaWeights weights = RandomLlama.weights(config, 42, false);

    /**
     * HF's convert_llama_weights_to_hf.py, written out literally:
     * permute(w, n_heads, dim1, dim2) = w.view(n_heads, dim1 // n_heads // 2, 2, dim2).transpose(1, 2).reshape(dim1, dim2)
     */
    static FloatTensor hfConverterPermute(FloatTensor w, int nHeads, int dim1, int dim2) {
        float[] in = values(w), out = new float[in.length];
        int half = dim1 / nHeads / 2;
        for (int h = 0; h < nHeads; h++) {
            for (int a = 0; a < 2; a++) {          // output axis 1 (was input axis 2)
                for (int b = 0; b < half; b++) {   // output axis 2 (was input axis 1)
                    int outRow = (h * 2 + a) * half + b;
                    int inRow = (h * half + b) * 2 + a;
                    System.arraycopy(in, inRow * dim2, out, outRow * dim2, dim2);
                }
            }
        }
        return F32Tensor.of(out);
    }

    /** Tensors of {@link #weights} under HF names, permuted as HF's converter does. */
    private Map<String, FloatTensor> hfTensors() {
        Map<String, FloatTensor> m = new LinkedHashMap<>();
        m.put("model.embed_tokens.weight", weights.tokenEmbedding());
        int dim = config.dim(), kv = config.kvDim();
        for (int l = 0; l < config.nLayers(); l++) {
            String p = "model.layers." + l + ".";
            m.put(p + "input_layernorm.weight", weights.attentionNorm()[l]);
            m.put(p + "self_attn.q_proj.weight", hfConverterPermute(weights.wq()[l], config.nHeads(), dim, dim));
            m.put(p + "self_attn.k_proj.weight", hfConverterPermute(weights.wk()[l], config.nKvHeads(), kv, dim));
            m.put(p + "self_attn.v_proj.weight", weights.wv()[l]);
            m.put(p + "self_attn.o_proj.weight", weights.wo()[l]);
            m.put(p + "post_attention_layernorm.weight", weights.ffnNorm()[l]);
            m.put(p + "mlp.gate_proj.weight", weights.w1()[l]);
            m.put(p + "mlp.down_proj.weight", weights.w2()[l]);
            m.put(p + "mlp.up_proj.weight", weights.w3()[l]);
        }
        m.put("model.norm.weight", weights.outputNorm());
        m.put("lm_head.weight", weights.output());
        return m;
    }

    private long[] shapeOf(String name, FloatTensor t) {
        if (name.endsWith("norm.weight")) return new long[]{t.size()};
        long cols = name.contains("down_proj") ? config.hiddenDim() : config.dim();
        return new long[]{t.size() / cols, cols};
    }

    private void writeConfig(String extra) throws IOException {
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64,
                 "intermediate_size": 192, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "vocab_size": 96, "max_position_embeddings": 128,
                 "rms_norm_eps": 1e-05, "torch_dtype": "float32" %s}""".formatted(extra));
    }

    private void writeSingleFile(Map<String, FloatTensor> tensors) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        tensors.forEach((name, t) -> w.add(name, SafetensorsDType.F32, shapeOf(name, t), t));
        w.write(dir.resolve("model.safetensors"));
    }

    @Test
    void hfConvertedWeightsLoadAsTheOriginalMetaLayoutWeights() throws IOException {
        writeConfig("");
        writeSingleFile(hfTensors());
        try (HfModel m = HfModel.open(dir)) {
            assertThat(m.config()).isEqualTo(config);
            assertSameWeights(weights, m.weights(), 0f);
        }
    }

    @Test
    void shardedFoldersLoadThroughTheWeightMap() throws IOException {
        writeConfig("");
        Map<String, FloatTensor> all = hfTensors();
        StringBuilder index = new StringBuilder("{\"metadata\": {\"total_size\": 0}, \"weight_map\": {");
        SafetensorsWriter[] shards = {new SafetensorsWriter(), new SafetensorsWriter()};
        int i = 0;
        for (var e : all.entrySet()) {
            int shard = i++ < all.size() / 2 ? 0 : 1;
            shards[shard].add(e.getKey(), SafetensorsDType.F32, shapeOf(e.getKey(), e.getValue()), e.getValue());
            index.append(i > 1 ? "," : "").append('"').append(e.getKey()).append("\": \"model-0000")
                    .append(shard + 1).append("-of-00002.safetensors\"");
        }
        shards[0].write(dir.resolve("model-00001-of-00002.safetensors"));
        shards[1].write(dir.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.append("}}").toString());
        try (HfModel m = HfModel.open(dir)) {
            assertSameWeights(weights, m.weights(), 0f);
        }
    }

    @Test
    void exportedFolderHoldsHfConverterLayoutAndLoadsBackIdentically() throws IOException {
        Path tokenizer = Files.writeString(dir.resolve("source-tokenizer.model"), "sentencepiece bytes");
        Path out = dir.resolve("export");
        HfModelWriter.write(out, config, weights, SafetensorsDType.F32, tokenizer, false);
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            assertThat(values(f.tensor("model.layers.1.self_attn.k_proj.weight")))
                    .containsExactly(values(hfConverterPermute(weights.wk()[1], config.nKvHeads(), config.kvDim(), config.dim())));
            assertThat(f.info("model.layers.1.self_attn.k_proj.weight").shape()).containsExactly(32, 64);
        }
        assertThat(out.resolve("tokenizer.model")).hasContent("sentencepiece bytes");
        try (HfModel m = HfModel.open(out)) {
            assertThat(m.config()).isEqualTo(config);
            assertThat(m.tokenizer()).isEqualTo(out.resolve("tokenizer.model"));
            assertSameWeights(weights, m.weights(), 0f);
        }
    }

    @Test
    void tiedEmbeddingsNeedNoLmHead() throws IOException {
        LlamaWeights tied = RandomLlama.weights(config, 7, true);
        Path out = dir.resolve("tied");
        HfModelWriter.write(out, config, tied, SafetensorsDType.F32, null, true);
        try (HfModel m = HfModel.open(out)) {
            assertThat(m.hfConfig().tieWordEmbeddings()).isTrue();
            assertThat(m.weights().output()).isSameAs(m.weights().tokenEmbedding());
            assertSameWeights(tied, m.weights(), 0f);
        }
    }

    @Test
    void absentKvHeadsAndRopeThetaTakeTransformersDefaults() throws IOException {
        Files.writeString(dir.resolve("config.json"), """
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 192, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "vocab_size": 96, "max_position_embeddings": 128, "rms_norm_eps": 1e-05}""");
        HfConfig c = HfConfig.read(dir.resolve("config.json"));
        assertThat(c.numKeyValueHeads()).isEqualTo(4);
        assertThat(c.ropeTheta()).isEqualTo(10000.0);
        assertThat(c.tieWordEmbeddings()).isFalse();
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        writeConfig("");
        Map<String, FloatTensor> t = hfTensors();
        t.remove("model.layers.1.mlp.up_proj.weight");
        writeSingleFile(t);
        assertThatThrownBy(() -> HfModel.open(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing tensor model.layers.1.mlp.up_proj.weight");
    }

    @Test
    void wrongShapeIsReportedWithExpectedAndFound() throws IOException {
        writeConfig("");
        Map<String, FloatTensor> t = hfTensors();
        SafetensorsWriter w = new SafetensorsWriter();
        t.forEach((name, x) -> w.add(name, SafetensorsDType.F32,
                name.equals("model.layers.0.self_attn.k_proj.weight") ? new long[]{64, 32} : shapeOf(name, x), x));
        w.write(dir.resolve("model.safetensors"));
        assertThatThrownBy(() -> HfModel.open(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model.layers.0.self_attn.k_proj.weight has shape [64, 32], expected [32, 64]");
    }

    @Test
    void nonLlamaModelTypeIsRejected() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"mistral\"}");
        assertThatThrownBy(() -> HfConfig.read(dir.resolve("config.json"))).isInstanceOf(IOException.class)
                .hasMessageContaining("model_type must be \"llama\"").hasMessageContaining("mistral");
    }

    @Test
    void weightMapCannotPointOutsideTheFolder() throws IOException {
        writeConfig("");
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"model.norm.weight\": \"../elsewhere.safetensors\"}}");
        assertThatThrownBy(() -> HfModel.open(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a file of the model folder");
    }

    @Test
    void inconsistentConfigNamesTheFile() throws IOException {
        writeConfig(", \"num_key_value_heads\": 3");
        assertThatThrownBy(() -> HfModel.open(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("config.json").hasMessageContaining("n_kv_heads 3");
    }
}
