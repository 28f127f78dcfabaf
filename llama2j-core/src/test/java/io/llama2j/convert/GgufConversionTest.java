package io.llama2j.convert;

import io.llama2j.TestData;
import io.llama2j.chat.ChatTemplates;
import io.llama2j.gguf.GgufFile;
import io.llama2j.gguf.GgufModel;
import io.llama2j.gguf.GgufModelLoader;
import io.llama2j.loading.ModelFormat;
import io.llama2j.model.Llama;
import io.llama2j.model.NamedTensor;
import io.llama2j.tensor.GgmlType;
import io.llama2j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static io.llama2j.model.RandomLlama.assertSameWeights;
import static io.llama2j.model.RandomLlama.values;
import static org.assertj.core.api.Assertions.assertThat;

/** Conversions through GGUF, on the tiny random Llama 2 GGUFs made with llama.cpp (PROVENANCE.md). */
class GgufConversionTest {
    /** Two runs of the same model differ by a few 1e-6 on this 32000-token model (parallel forward pass). */
    private static final float RUN_TO_RUN_TOLERANCE = 1e-4f;

    @TempDir Path dir;

    private static ModelConverter.Options to(ModelFormat f, GgmlType type) {
        return new ModelConverter.Options(f, type, 1);
    }

    @Test
    void ggufToSafetensorsToLlama2cToGgufKeepsWeightsVocabularyAndHyperparameters() throws Exception {
        Path original = TestData.file("gguf/tiny-llama2-F32.gguf");
        Path hf = dir.resolve("hf"), bin = dir.resolve("tiny.bin"), back = dir.resolve("back.gguf");
        try (SourceModel s = ModelReaders.open(original, null)) {
            ModelConverter.convert(s, hf, to(ModelFormat.HF_FOLDER, null));
        }
        try (SourceModel s = ModelReaders.open(hf, null)) {
            assertThat(s.tokenizerSource()).isEqualTo(hf.resolve("tokenizer.json"));
            ModelConverter.convert(s, bin, to(ModelFormat.LLAMA2C, null));
        }
        try (SourceModel s = ModelReaders.open(bin, hf.resolve("tokenizer.json"))) {
            ModelConverter.convert(s, back, to(ModelFormat.GGUF, null));
        }
        try (GgufModel a = GgufModelLoader.load(original); GgufModel b = GgufModelLoader.load(back)) {
            assertThat(b.config()).isEqualTo(a.config());
            assertSameWeights(a.weights(), b.weights(), 0f);
            for (String key : List.of("general.architecture", "llama.embedding_length", "llama.block_count",
                    "llama.feed_forward_length", "llama.rope.dimension_count", "llama.attention.head_count",
                    "llama.attention.head_count_kv", "llama.attention.layer_norm_rms_epsilon", "llama.rope.freq_base",
                    "llama.context_length", "llama.vocab_size", "tokenizer.ggml.model", "tokenizer.ggml.bos_token_id",
                    "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.add_bos_token",
                    "general.file_type")) {
                assertThat(b.file().metadata().get(key)).as(key).isEqualTo(a.file().metadata().get(key));
                assertThat(b.file().valueType(key)).as(key + " type").isEqualTo(a.file().valueType(key));
            }
            assertThat(b.file().getStringArray("tokenizer.ggml.tokens")).containsExactly(a.file().getStringArray("tokenizer.ggml.tokens"));
            // tokenizer.json stores merges, not scores: scores come back as merge priorities, which
            // must encode every text the same way.
            assertThat(b.file().getIntArray("tokenizer.ggml.token_type")).containsExactly(a.file().getIntArray("tokenizer.ggml.token_type"));
            Tokenizer ta = Tokenizer.fromGguf(a.file()), tb = Tokenizer.fromGguf(b.file());
            for (String text : List.of("Hello world, 12345!", "  leading spaces and\ttabs\n", "Ünïcödé 日本語 🦙", "")) {
                assertThat(tb.encode(text, true, false)).as(text).containsExactly(ta.encode(text, true, false));
            }
        }
    }

    @Test
    void aModelNameAndChatTemplateGoIntoTheGgufMetadata() throws Exception {
        Path out = dir.resolve("chat.gguf");
        try (SourceModel s = ModelReaders.open(TestData.file("gguf/tiny-llama2-F32.gguf"), null)) {
            ModelConverter.convert(s, out, new ModelConverter.Options(ModelFormat.GGUF, null, 1, "tiny-chat", ChatTemplates.LLAMA2));
        }
        try (GgufFile f = GgufFile.open(out)) {
            assertThat(f.getString("general.name")).isEqualTo("tiny-chat");
            assertThat(f.getString("tokenizer.chat_template")).isEqualTo(ChatTemplates.LLAMA2);
        }
    }

    @Test
    void withoutANameTheSourceFileNameIsTheModelsNameAndNoTemplateIsWritten() throws Exception {
        Path out = dir.resolve("plain.gguf");
        try (SourceModel s = ModelReaders.open(TestData.file("gguf/tiny-llama2-F32.gguf"), null)) {
            ModelConverter.convert(s, out, to(ModelFormat.GGUF, null));
        }
        try (GgufFile f = GgufFile.open(out)) {
            assertThat(f.getString("general.name")).isEqualTo("tiny-llama2-F32");
            assertThat(f.contains("tokenizer.chat_template")).isFalse();
        }
    }

    /** ggml-org's stories260K.gguf was converted from the same llama2.c weights: ours must match it byte for byte. */
    @Test
    void llama2cStories260kConvertsToTheTensorsAndVocabularyOfGgmlOrgsGguf() throws Exception {
        Path out = dir.resolve("stories260K.gguf");
        try (SourceModel s = ModelReaders.open(TestData.file("stories260K.bin"), TestData.file("tok512.model"))) {
            ModelConverter.convert(s, out, to(ModelFormat.GGUF, null));
        }
        try (GgufFile ours = GgufFile.open(out); GgufFile theirs = GgufFile.open(TestData.file("stories260K.gguf"))) {
            for (var mine : ours.tensors()) {
                var info = theirs.tensorInfo(mine.name());
                assertThat(mine.shape()).as(mine.name()).containsExactly(info.shape());
                assertThat(ours.tensorData(mine).mismatch(theirs.tensorData(info))).as(mine.name() + " bytes").isEqualTo(-1L);
            }
            // theirs also stores output.weight, a copy of token_embd.weight; ours ties them
            assertThat(ours.tensors()).hasSize(theirs.tensors().size() - 1);
            assertThat(ours.getStringArray("tokenizer.ggml.tokens")).containsExactly(theirs.getStringArray("tokenizer.ggml.tokens"));
            assertThat(ours.getFloatArray("tokenizer.ggml.scores")).containsExactly(theirs.getFloatArray("tokenizer.ggml.scores"));
            for (String key : List.of("llama.embedding_length", "llama.feed_forward_length", "llama.attention.head_count_kv",
                    "llama.rope.dimension_count", "llama.attention.layer_norm_rms_epsilon")) {
                assertThat(ours.metadata().get(key)).as(key).isEqualTo(theirs.metadata().get(key));
            }
        }
    }

    /** llama-quantize --pure made the reference files from the same F32 master; our quantizers match it. */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "F16", "BF16"})
    void quantizingTheF32MasterReproducesLlamaQuantize(GgmlType type) throws Exception {
        Path master = TestData.file("gguf/tiny-llama2-F32.gguf");
        Path reference = TestData.file("gguf/tiny-llama2-" + type + ".gguf");
        Path out = dir.resolve("tiny-" + type + ".gguf");
        try (SourceModel s = ModelReaders.open(master, null)) {
            ModelConverter.convert(s, out, to(ModelFormat.GGUF, type));
        }
        try (GgufFile ours = GgufFile.open(out); GgufFile theirs = GgufFile.open(reference)) {
            assertThat(ours.metadata().get("general.file_type")).isEqualTo(theirs.metadata().get("general.file_type"));
            for (var info : theirs.tensors()) {
                var mine = ours.tensorInfo(info.name());
                assertThat(mine.type()).as(info.name()).isEqualTo(info.type());
                assertThat(mine.shape()).as(info.name()).containsExactly(info.shape());
                assertThat(ours.tensorData(mine).mismatch(theirs.tensorData(info))).as(info.name() + " bytes").isEqualTo(-1L);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void quantizedWeightsStayWithinTheQuantizationStepAndRunLikeLlamaQuantizeOutput(GgmlType type) throws Exception {
        Path master = TestData.file("gguf/tiny-llama2-F32.gguf");
        Path out = dir.resolve("q.gguf");
        try (SourceModel s = ModelReaders.open(master, null)) {
            ModelConverter.convert(s, out, to(ModelFormat.GGUF, type));
        }
        try (GgufModel f32 = GgufModelLoader.load(master); GgufModel q = GgufModelLoader.load(out)) {
            List<NamedTensor> exact = NamedTensor.list(f32.config(), f32.weights());
            List<NamedTensor> quantized = NamedTensor.list(q.config(), q.weights());
            // Q8_0 rounds to the nearest of ±127 steps of amax/127: half a step at most. Q4_0 maps the
            // block's extreme to -8 steps of amax/8 and clamps the other side at +7: up to one step.
            float stepsPerAmax = type == GgmlType.Q8_0 ? 127 * 2 : 8;
            for (int t = 0; t < exact.size(); t++) {
                float[] e = values(exact.get(t).tensor()), a = values(quantized.get(t).tensor());
                for (int block = 0; block < e.length; block += 32) {
                    float amax = 0;
                    for (int i = block; i < Math.min(e.length, block + 32); i++) amax = Math.max(amax, Math.abs(e[i]));
                    // plus the float16 rounding of the scale (2^-11 relative, times up to 127 steps)
                    float bound = amax / stepsPerAmax * 1.01f + amax * 0x1p-10f;
                    for (int i = block; i < Math.min(e.length, block + 32); i++) {
                        assertThat(Math.abs(a[i] - e[i])).as(exact.get(t).name() + "[" + i + "]").isLessThanOrEqualTo(bound);
                    }
                }
            }
            // and the model runs exactly as llama-quantize's own file of that type does
            try (GgufModel reference = GgufModelLoader.load(TestData.file("gguf/tiny-llama2-" + type + ".gguf"))) {
                float[] ours = logits(q), theirs = logits(reference);
                // Same bytes, same logits, up to the forward pass's run-to-run jitter (about 1e-5 observed here).
                assertThat(ours).containsExactly(theirs, org.assertj.core.data.Offset.offset(RUN_TO_RUN_TOLERANCE));
            }
        }
    }

    private static float[] logits(GgufModel m) {
        Llama model = new Llama(m.config(), m.weights());
        return model.forward(model.newState(), 1, 450, 4996, 17354).clone();
    }

}
