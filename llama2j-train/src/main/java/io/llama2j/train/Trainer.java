package io.llama2j.train;

import io.llama2j.tensor.Parallel;
import io.llama2j.train.data.BatchLoader;
import io.llama2j.train.data.BatchSource;
import io.llama2j.train.data.TokenDataset;
import io.llama2j.train.optim.AdamW;
import io.llama2j.train.optim.LearningRateSchedule;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The one training loop (nanoGPT train.py; pretraining now, SFT and reward models later with
 * their own batches and masks). Per step:
 * <pre>
 *   draw gradAccum micro-batches; zero the gradients
 *   for each: loss += forwardBackward(micro-batch, 1 / masked tokens of the step)
 *   clip the global gradient norm; AdamW update with lr = schedule(step)
 *   log; evaluate every evalEvery steps; checkpoint every saveEvery steps
 * </pre>
 * A stop request (Ctrl-C: {@link StopOnShutdown}) ends the run at the next step
 * boundary with a checkpoint. Everything a step depends on (parameters, AdamW moments and update
 * count, the loader's position) is in the checkpoint, so a resumed run computes exactly what the
 * uninterrupted run would have.
 */
public final class Trainer {
    private final TrainingWeights params;
    private final TrainerConfig config;
    /** What the optimizer updates: {@code params}, or an adapter's parameters. */
    private final TrainableParameters trained;
    private final Supplier<BatchSource> validation;
    private final String title;
    private final Path outDir;
    private final Parallel parallel;
    private final PrintStream progress;
    private final TrainingModel model;
    private final AdamW optimizer;
    private final BatchSource loader;
    private int step;
    private volatile boolean stopRequested;

    /** A fresh pretraining run on token shards, or a resumed one when {@code resumeFrom} is not null. */
    public Trainer(ModelParameters params, TrainerConfig config, TokenDataset trainData, TokenDataset validationData,
                   Path outDir, Parallel parallel, PrintStream progress, Checkpoint resumeFrom) {
        if (trainData.vocabSize() != params.config().vocabSize()) {
            throw new IllegalArgumentException("the data was tokenized with a vocabulary of " + trainData.vocabSize()
                    + " tokens but the model has " + params.config().vocabSize());
        }
        this(params, params, null, config, new BatchLoader(trainData, config.batch(), config.seqLen(), config.seed()),
                validationData == null ? null
                        : () -> new BatchLoader(validationData, config.batch(), config.seqLen(), config.seed()),
                "pretrain", outDir, parallel, progress, resumeFrom);
    }

    /**
     * A run over any batches (SFT: packed sequences with an answer-only loss mask) that updates
     * {@code trained}: the model itself, or an adapter's parameters with the model frozen (then
     * {@code adapter} is attached beside the model's projections; the model may then be a
     * quantized base, {@link QuantizedWeights}: QLoRA).
     *
     * @param validation fresh validation batches in a fixed order at every evaluation, or null
     * @param title      what the plot calls the run (pretrain, sft, ...)
     */
    public Trainer(TrainingWeights params, TrainableParameters trained, ProjectionAdapter adapter, TrainerConfig config,
                   BatchSource train, Supplier<BatchSource> validation, String title, Path outDir, Parallel parallel,
                   PrintStream progress, Checkpoint resumeFrom) {
        this.params = params;
        this.trained = trained;
        this.config = config;
        this.validation = validation;
        this.title = title;
        this.outDir = outDir;
        this.parallel = parallel;
        this.progress = progress;
        this.model = new TrainingModel(params, config.batch(), config.seqLen(), parallel);
        model.attach(adapter);
        this.optimizer = new AdamW(config.optimizer(), trained);
        this.loader = train;
        if (resumeFrom != null) {
            if (resumeFrom.parameters().length != trained.size()) {
                throw new IllegalArgumentException("checkpoint has " + resumeFrom.parameters().length
                        + " parameters, the run trains " + trained.size());
            }
            System.arraycopy(resumeFrom.parameters(), 0, trained.values(), 0, trained.size());
            System.arraycopy(resumeFrom.firstMoment(), 0, optimizer.firstMoment(), 0, trained.size());
            System.arraycopy(resumeFrom.secondMoment(), 0, optimizer.secondMoment(), 0, trained.size());
            optimizer.restore(resumeFrom.optimizerUpdates());
            loader.seek(resumeFrom.loaderPosition());
            this.step = resumeFrom.step();
        }
    }

    /** Steps completed. */
    public int step() { return step; }

    public TrainingWeights parameters() { return params; }

    /** Asks the loop to stop at the next step boundary (after writing a checkpoint). */
    public void requestStop() { stopRequested = true; }

    /** The result of {@link #run}: steps completed, last training loss and last validation loss (NaN if none). */
    public record Result(int steps, double trainLoss, double validationLoss, boolean interrupted) {}

    /** Trains until the configured step count or a stop request; checkpoints and logs in outDir. */
    public Result run() throws IOException {
        Files.createDirectories(outDir);
        try (StopOnShutdown ignored = StopOnShutdown.install(this::requestStop);
             TrainingLog log = new TrainingLog(outDir, step)) {
            return loop(log);
        }
    }

    private Result loop(TrainingLog log) throws IOException {
        double trainLoss = Double.NaN, validationLoss = Double.NaN;
        long tokensPerStep = config.tokensPerStep();
        long start = System.nanoTime();
        int firstStep = step;
        while (step < config.steps() && !stopRequested) {
            long stepStart = System.nanoTime();
            double lr = LearningRateSchedule.learningRate(config.optimizer(), step, config.steps());
            List<TokenBatch> micro = new ArrayList<>(config.gradAccum());
            double maskedTokens = 0;
            for (int i = 0; i < config.gradAccum(); i++) {
                TokenBatch b = loader.next();
                micro.add(b);
                maskedTokens += b.maskedTokens();
            }
            trained.zeroGradients();
            double lossSum = 0;
            float scale = (float) (1.0 / Math.max(1.0, maskedTokens));
            for (TokenBatch b : micro) lossSum += model.forwardBackward(b, scale);
            double gradNorm = optimizer.step(parallel, trained.values(), trained.gradients(), lr);
            trainLoss = lossSum / Math.max(1.0, maskedTokens);
            step++;

            double seconds = (System.nanoTime() - stepStart) / 1e9;
            double elapsed = (System.nanoTime() - start) / 1e9;
            double tokensPerSecond = tokensPerStep / seconds;
            log.trainStep(step, trainLoss, lr, gradNorm, (long) step * tokensPerStep, tokensPerSecond, elapsed);
            double eta = elapsed / (step - firstStep) * (config.steps() - step);
            progress.printf(Locale.ROOT, "step %d/%d | loss %.4f | lr %.3e | grad norm %.3f | %.0f tok/s | ETA %s%n",
                    step, config.steps(), trainLoss, lr, gradNorm, tokensPerSecond, duration(eta));

            boolean last = step == config.steps();
            if (validation != null && (last || (config.evalEvery() > 0 && step % config.evalEvery() == 0))) {
                validationLoss = validationLoss();
                log.validation(step, validationLoss);
                progress.printf(Locale.ROOT, "step %d | validation loss %.4f%n", step, validationLoss);
                log.plot(plotTitle());
            }
            if (last || stopRequested || (config.saveEvery() > 0 && step % config.saveEvery() == 0)) {
                saveCheckpoint();
            }
        }
        boolean interrupted = step < config.steps();
        if (interrupted) {
            progress.printf(Locale.ROOT, "stopped at step %d; resume with --resume%n", step);
        }
        log.plot(plotTitle());
        return new Result(step, trainLoss, validationLoss, interrupted);
    }

    /** Mean loss over a fixed set of validation windows (the same at every evaluation). */
    public double validationLoss() {
        BatchSource batches = validation.get();
        double sum = 0, tokens = 0;
        for (int i = 0; i < config.evalBatches(); i++) {
            TokenBatch b = batches.next();
            sum += model.loss(b);
            tokens += b.maskedTokens();
        }
        return sum / tokens;
    }

    public void saveCheckpoint() throws IOException {
        new Checkpoint(params.config(), params.tiedEmbeddings(), config, step, loader.position(), optimizer.updates(),
                trained.values(), optimizer.firstMoment(), optimizer.secondMoment()).write(outDir.resolve(Checkpoint.FILE_NAME));
    }

    private String plotTitle() {
        var c = params.config();
        return String.format(Locale.ROOT, "llama2j " + title + ": dim %d, %d layers, %d heads (%d kv), vocab %d; %d tokens/step",
                c.dim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.vocabSize(), config.tokensPerStep());
    }

    private static String duration(double seconds) {
        if (!Double.isFinite(seconds)) return "?";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : String.format("%dm%02ds", s / 60, s % 60);
    }
}
