package io.llama2j.convert;

import io.llama2j.TestData;
import io.llama2j.gguf.GgufFile;
import io.llama2j.hf.HfModelWriter;
import io.llama2j.loading.ModelFormat;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.model.RandomLlama;
import io.llama2j.safetensors.SafetensorsDType;
import io.llama2j.tensor.GgmlType;
import io.llama2j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.llama2j.model.RandomLlama.assertSameWeights;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelConverterTest {
    @TempDir Path dir;

    private final LlamaConfig config = RandomLlama.smallGqaConfig(96);
    private final LlamaWeights weights = RandomLlama.weights(config, 5, false);

    private Path hfSource() throws IOException {
        Path hf = dir.resolve("hf");
        HfModelWriter.write(hf, config, weights, SafetensorsDType.F32, null, false);
        return hf;
    }

    private static ModelConverter.Options to(ModelFormat f, GgmlType type) {
        return new ModelConverter.Options(f, type, 1);
    }

    @Test
    void safetensorsToLlama2cToMetaToSafetensorsKeepsEveryWeight() throws Exception {
        Path bin = dir.resolve("model.bin"), meta = dir.resolve("meta"), back = dir.resolve("hf-back");
        try (SourceModel s = ModelReaders.open(hfSource(), null)) {
            assertThat(s.format()).isEqualTo(ModelFormat.HF_FOLDER);
            ModelConverter.convert(s, bin, to(ModelFormat.LLAMA2C, null));
        }
        try (SourceModel s = ModelReaders.open(bin, null)) {
            assertThat(s.format()).isEqualTo(ModelFormat.LLAMA2C);
            assertSameWeights(weights, s.weights(), 0f);
            ModelConverter.convert(s, meta, new ModelConverter.Options(ModelFormat.META_FOLDER, null, 2));
        }
        try (SourceModel s = ModelReaders.open(meta, null)) {
            assertThat(s.format()).isEqualTo(ModelFormat.META_FOLDER);
            assertSameWeights(weights, s.weights(), 0f);
            ModelConverter.convert(s, back, to(ModelFormat.HF_FOLDER, null));
        }
        try (SourceModel s = ModelReaders.open(back, null)) {
            assertSameWeights(weights, s.weights(), 0f);
        }
    }

    @Test
    void bfloat16OutputIsWithinBfloat16Rounding() throws Exception {
        Path out = dir.resolve("bf16");
        try (SourceModel s = ModelReaders.open(hfSource(), null)) {
            ModelConverter.convert(s, out, to(ModelFormat.HF_FOLDER, GgmlType.BF16));
        }
        try (SourceModel s = ModelReaders.open(out, null)) {
            assertThat(s.weights().wq()[0].type()).isEqualTo(GgmlType.BF16);
            // |w| < 8 here, and bfloat16 keeps 8 significant bits: half an ulp is at most 2^-6 · 2^-1.
            assertSameWeights(weights, s.weights(), 0x1p-6f);
        }
    }

    @Test
    void quantizedTypesNeedGguf() throws Exception {
        try (SourceModel s = ModelReaders.open(hfSource(), null)) {
            assertThatThrownBy(() -> ModelConverter.convert(s, dir.resolve("x"), to(ModelFormat.HF_FOLDER, GgmlType.Q8_0)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("quantized types need --format gguf");
            assertThatThrownBy(() -> ModelConverter.convert(s, dir.resolve("x.bin"), to(ModelFormat.LLAMA2C, GgmlType.F16)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("float32 only");
        }
    }

    @Test
    void aSentencePieceTokenizerTravelsWithTheModel() throws Exception {
        Path spm = TestData.file("tok512.model");
        Path meta = dir.resolve("meta"), hf = dir.resolve("hf2");
        try (SourceModel s = ModelReaders.open(hfSource(), spm)) {
            List<String> notes = ModelConverter.convert(s, meta, to(ModelFormat.META_FOLDER, null));
            assertThat(notes).noneMatch(n -> n.contains("tokenizer"));
        }
        assertThat(Files.mismatch(meta.resolve("tokenizer.model"), spm)).isEqualTo(-1L);
        try (SourceModel s = ModelReaders.open(meta, null)) {
            assertThat(s.tokenizerSource()).isEqualTo(meta.resolve("tokenizer.model"));
            ModelConverter.convert(s, hf, to(ModelFormat.HF_FOLDER, null));
        }
        assertThat(Tokenizer.load(hf).vocabSize()).isEqualTo(512);
    }

    @Test
    void aLlama2cTokenizerBinIsRewrittenAsTokenizerJsonForHuggingFace() throws Exception {
        Path bin = TestData.file("tok512.bin");
        Path hf = dir.resolve("hf3");
        try (SourceModel s = ModelReaders.open(hfSource(), bin)) {
            ModelConverter.convert(s, hf, to(ModelFormat.HF_FOLDER, null));
        }
        Tokenizer original = Tokenizer.load(bin), written = Tokenizer.load(hf.resolve("tokenizer.json"));
        assertThat(written.vocabSize()).isEqualTo(original.vocabSize());
        assertThat(written.encode("Once upon a time", true, false)).containsExactly(original.encode("Once upon a time", true, false));
    }

    @Test
    void unrecognisedFoldersAreExplained() throws IOException {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertThatThrownBy(() -> ModelReaders.open(empty, null)).isInstanceOf(IOException.class)
                .hasMessageContaining("is not a model");
    }

    @Test
    void matricesWhoseRowsAreNotWholeQuantizationBlocksFallBackToF16() throws Exception {
        // FFN width 48: ffn_down's rows hold 48 values, not a whole number of Q8_0's 32-value blocks
        LlamaConfig narrowFfn = new LlamaConfig(64, 48, 2, 4, 2, 512, 128, 1e-5f, 10000f);
        Path hf = dir.resolve("narrow"), gguf = dir.resolve("narrow.gguf");
        HfModelWriter.write(hf, narrowFfn, RandomLlama.weights(narrowFfn, 9, false), SafetensorsDType.F32, null, false);
        try (SourceModel s = ModelReaders.open(hf, TestData.file("tok512.model"))) {
            List<String> notes = ModelConverter.convert(s, gguf, to(ModelFormat.GGUF, GgmlType.Q8_0));
            assertThat(notes).anyMatch(n -> n.startsWith("blk.0.ffn_down.weight written as F16"));
        }
        try (GgufFile f = GgufFile.open(gguf)) {
            assertThat(f.tensorInfo("blk.1.ffn_down.weight").type()).isEqualTo(GgmlType.F16);
            assertThat(f.tensorInfo("blk.1.ffn_up.weight").type()).isEqualTo(GgmlType.Q8_0);
        }
        try (SourceModel back = ModelReaders.open(gguf, null)) {
            assertThat(back.config()).isEqualTo(narrowFfn);
        }
    }
}
