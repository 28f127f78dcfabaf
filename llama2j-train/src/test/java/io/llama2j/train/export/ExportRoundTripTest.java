package io.llama2j.train.export;

import io.llama2j.TestData;
import io.llama2j.gguf.GgufModel;
import io.llama2j.gguf.GgufModelLoader;
import io.llama2j.hf.HfModel;
import io.llama2j.llama2c.Llama2cCheckpoint;
import io.llama2j.loading.ModelFormat;
import io.llama2j.model.Llama;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.tensor.ActivationPrecision;
import io.llama2j.tensor.GgmlType;
import io.llama2j.tensor.Parallel;
import io.llama2j.tokenizer.Tokenizer;
import io.llama2j.train.ModelInit;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.TokenBatch;
import io.llama2j.train.TrainingModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Every export loads in the inference engine and gives the training forward's logits: the
 * inference logits of the exported file equal the training forward's logits on the weights read
 * back (float32 products summed in another order: within 1e-4), and F32 exports read back bit for
 * bit. Quantized exports are within their format's rounding of the trained weights.
 */
class ExportRoundTripTest {
    private static final Parallel PARALLEL = new Parallel(2);

    @TempDir
    Path dir;

    @AfterAll
    static void close() { PARALLEL.close(); }

    @ParameterizedTest(name = "{0} {1}, tied {2}")
    @CsvSource({"GGUF, F32, false", "GGUF, F32, true", "GGUF, F16, false", "GGUF, Q8_0, false",
            "HF_FOLDER, F32, false", "HF_FOLDER, F16, true", "LLAMA2C, F32, false", "LLAMA2C, F32, true"})
    void exportedModelsRunInTheInferenceEngineWithTheTrainingForwardsLogits(ModelFormat format, GgmlType type, boolean tied)
            throws Exception {
        Path tokenizerFile = TestData.file("tok512.model");
        Tokenizer tokenizer = Tokenizer.load(tokenizerFile);
        LlamaConfig config = new LlamaConfig(64, 96, 2, 4, 2, tokenizer.vocabSize(), 16, 1e-5f, 10000f);
        ModelParameters trained = ModelParameters.initialized(config, tied, new ModelInit(0.2, 9));
        Path out = dir.resolve(format == ModelFormat.HF_FOLDER ? "hf" : "model." + format.name().toLowerCase());
        ModelExport.export(trained, tokenizerFile, format, type, out);

        try (AutoCloseable resources = open(format, out)) {
            LlamaConfig readConfig = loadedConfig;
            LlamaWeights readWeights = loadedWeights;
            assertThat(readConfig.dim()).isEqualTo(config.dim());
            assertThat(readConfig.nKvHeads()).isEqualTo(config.nKvHeads());
            assertThat(readConfig.vocabSize()).isEqualTo(config.vocabSize());
            assertThat(readWeights.output() == readWeights.tokenEmbedding()).isEqualTo(tied);
            ModelParameters read = ModelParameters.of(readConfig, readWeights);
            float tolerance = switch (type) { case F32 -> 0f; case F16 -> 1e-3f; default -> 2e-2f; };
            for (int i = 0; i < trained.size(); i++) {
                assertThat(read.values()[i]).as("parameter %d", i).isCloseTo(trained.values()[i], within(tolerance));
            }

            int[] tokens = {1, 403, 407, 261, 378, 300, 29, 77};
            int[] targets = new int[tokens.length];
            float[] trainingLogits = new TrainingModel(read, 1, tokens.length, PARALLEL)
                    .logits(TokenBatch.unmasked(1, tokens.length, tokens, targets)).clone();
            // float32 activations: the training forward pass does not quantize them (the default does for Q8_0)
            Llama llama = new Llama(readConfig, readWeights, PARALLEL).withActivationPrecision(ActivationPrecision.FLOAT32);
            float[][] inferenceLogits = llama.forwardAllLogits(llama.newState(), tokens);
            for (int t = 0; t < tokens.length; t++) {
                for (int v = 0; v < config.vocabSize(); v++) {
                    assertThat(inferenceLogits[t][v]).as("logit %d at position %d", v, t)
                            .isCloseTo(trainingLogits[t * config.vocabSize() + v], within(1e-4f));
                }
            }
        }
    }

    private LlamaConfig loadedConfig;
    private LlamaWeights loadedWeights;

    private AutoCloseable open(ModelFormat format, Path out) throws Exception {
        switch (format) {
            case GGUF -> {
                GgufModel m = GgufModelLoader.load(out);
                assertThat(Tokenizer.fromGguf(m.file()).vocabSize()).isEqualTo(512);
                loadedConfig = m.config();
                loadedWeights = m.weights();
                return m;
            }
            case HF_FOLDER -> {
                HfModel m = HfModel.open(out);
                assertThat(m.tokenizer()).isNotNull();
                loadedConfig = m.config();
                loadedWeights = m.weights();
                return m;
            }
            default -> {
                Llama2cCheckpoint c = Llama2cCheckpoint.load(out);
                loadedConfig = c.config();
                loadedWeights = c.weights();
                return () -> {};
            }
        }
    }
}
