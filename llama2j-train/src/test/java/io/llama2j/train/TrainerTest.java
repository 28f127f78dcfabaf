package io.llama2j.train;

import io.llama2j.model.LlamaConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.data.TokenDataset;
import io.llama2j.train.data.TokenShard;
import io.llama2j.train.optim.OptimizerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class TrainerTest {
    private static final Parallel PARALLEL = new Parallel(2);
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir
    Path dir;

    @AfterAll
    static void close() { PARALLEL.close(); }

    /** A train split of exactly one window (so every batch is the same) and a validation split. */
    private Path dataOfOneWindow(int vocab, int seqLen) throws IOException {
        SplittableRandom random = new SplittableRandom(11);
        int[] tokens = new int[seqLen + 1];
        for (int i = 0; i < tokens.length; i++) tokens[i] = random.nextInt(vocab);
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        TokenShard.write(data.resolve(TokenDataset.shardName(TokenDataset.TRAIN, 0)), vocab, tokens, tokens.length);
        TokenShard.write(data.resolve(TokenDataset.shardName(TokenDataset.VALIDATION, 0)), vocab, tokens, tokens.length);
        return data;
    }

    @Test
    void aTinyModelOverfitsOneBatchBelowLoss0_05() throws IOException {
        LlamaConfig config = new LlamaConfig(32, 64, 2, 4, 2, 32, 16, 1e-5f, 10000f);
        Path data = dataOfOneWindow(config.vocabSize(), 16);
        OptimizerConfig optimizer = OptimizerConfig.paper().withPeakLearningRate(1e-2).withWarmupSteps(10).withWeightDecay(0);
        TrainerConfig run = new TrainerConfig(150, 2, 16, 1, 0, 1, 0, 1, optimizer);
        ModelParameters params = ModelParameters.initialized(config, false, ModelInit.withSeed(1));
        try (TokenDataset train = TokenDataset.open(data, TokenDataset.TRAIN);
             TokenDataset val = TokenDataset.open(data, TokenDataset.VALIDATION)) {
            Trainer.Result r = new Trainer(params, run, train, val, dir.resolve("run"), PARALLEL, QUIET, null).run();
            assertThat(r.trainLoss()).isLessThan(0.05);
            assertThat(r.validationLoss()).isLessThan(0.05);
        }
        assertThat(dir.resolve("run/loss.png")).isNotEmptyFile();
        assertThat(Files.readAllLines(dir.resolve("run/log.jsonl"))).hasSize(150 + 1)
                .last().asString().contains("\"type\":\"val\"");
    }

    @Test
    void aRunStoppedAtAStepBoundaryAndResumedEndsBitForBitLikeAnUninterruptedRun() throws IOException {
        LlamaConfig config = new LlamaConfig(16, 32, 2, 4, 2, 20, 8, 1e-5f, 10000f);
        SplittableRandom random = new SplittableRandom(5);
        int[] tokens = new int[400];
        for (int i = 0; i < tokens.length; i++) tokens[i] = random.nextInt(config.vocabSize());
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        TokenShard.write(data.resolve(TokenDataset.shardName(TokenDataset.TRAIN, 0)), config.vocabSize(), tokens, tokens.length);
        TrainerConfig run = new TrainerConfig(12, 2, 8, 2, 0, 1, 0, 3, OptimizerConfig.paper().withWarmupSteps(3));
        try (TokenDataset train = TokenDataset.open(data, TokenDataset.TRAIN)) {
            ModelParameters whole = ModelParameters.initialized(config, true, ModelInit.withSeed(3));
            new Trainer(whole, run, train, null, dir.resolve("whole"), PARALLEL, QUIET, null).run();

            ModelParameters first = ModelParameters.initialized(config, true, ModelInit.withSeed(3));
            Trainer interrupted = new Trainer(first, run, train, null, dir.resolve("split"), PARALLEL, stopAt(5), null);
            stopTarget = interrupted;
            Trainer.Result r = interrupted.run();
            assertThat(r.interrupted()).isTrue();
            assertThat(r.steps()).isEqualTo(5);

            Checkpoint saved = Checkpoint.read(dir.resolve("split").resolve(Checkpoint.FILE_NAME));
            ModelParameters resumed = new ModelParameters(saved.model(), saved.tiedEmbeddings());
            new Trainer(resumed, saved.trainer(), train, null, dir.resolve("split"), PARALLEL, QUIET, saved).run();
            assertThat(resumed.values()).containsExactly(whole.values());
        }
    }

    private Trainer stopTarget;

    /** A progress stream that asks the trainer to stop once it reports step {@code step}. */
    private PrintStream stopAt(int step) {
        return new PrintStream(OutputStream.nullOutputStream()) {
            @Override public PrintStream printf(java.util.Locale l, String format, Object... args) {
                if (args.length > 0 && Integer.valueOf(step).equals(args[0])) stopTarget.requestStop();
                return this;
            }
        };
    }
}
