package io.llama2j.train.reward;

import io.llama2j.tensor.Parallel;
import io.llama2j.train.Checkpoint;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.OptimizedState;
import io.llama2j.train.StopOnShutdown;
import io.llama2j.train.TrainerConfig;
import io.llama2j.train.TrainingLog;
import io.llama2j.train.optim.AdamW;
import io.llama2j.train.optim.LearningRateSchedule;
import io.llama2j.train.optim.OptimizerConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The training loop on preference pairs, shared by the reward model and DPO (the loss is the
 * {@link PreferenceObjective}): shuffle each epoch, one optimizer step per batch of pairs with the
 * engine's AdamW and cosine schedule, held-out loss and accuracy per rating, and the engine's
 * log.jsonl / loss.png / checkpoint.bin in the output folder (plus the scalar head, if any, and
 * accuracy.png and margin.png). Checkpoints every saveEvery steps, at the end and on Ctrl-C
 * ({@link StopOnShutdown}); a run resumed from one ends bit for bit like an uninterrupted run.
 */
public final class PreferenceTrainer {
    /** Plots beside loss.png. */
    public static final String ACCURACY_PLOT = "accuracy.png", MARGIN_PLOT = "margin.png";
    /** Name of the scalar head's state in the checkpoint. */
    static final String HEAD_STATE = "head";

    private final PreferenceObjective objective;
    private final PreferenceTrainingConfig config;
    private final Parallel parallel;
    private final PrintStream progress;
    private final int padId;
    private volatile boolean stopRequested;

    public PreferenceTrainer(PreferenceObjective objective, PreferenceTrainingConfig config, int padId, Parallel parallel,
                             PrintStream progress) {
        if (objective.rows() != 2 * config.pairsPerBatch() || objective.seqLen() != config.seqLen()) {
            throw new IllegalArgumentException("objective planned for " + objective.rows() + " x " + objective.seqLen()
                    + " tokens, the config asks for " + 2 * config.pairsPerBatch() + " x " + config.seqLen());
        }
        this.objective = objective;
        this.config = config;
        this.parallel = parallel;
        this.progress = progress;
        this.padId = padId;
    }

    /** Held-out figures: mean loss, accuracy (chosen scored above rejected) overall and per rating. */
    public record Evaluation(double loss, double accuracy, int pairs, Map<PreferenceRating, Double> accuracyByRating,
                             Map<PreferenceRating, Integer> pairsByRating, double meanMargin) {}

    /** @param interrupted the run stopped before its last step (Ctrl-C or {@link #requestStop}) */
    public record Result(int steps, double trainLoss, Evaluation heldOut, boolean interrupted) {}

    /** A fresh run. */
    public Result train(List<EncodedPreference> train, List<EncodedPreference> heldOut, Path outDir) throws IOException {
        return train(train, heldOut, outDir, null);
    }

    /** Asks the loop to stop at the next step boundary (after writing a checkpoint). */
    public void requestStop() { stopRequested = true; }

    /**
     * Trains until the configured epochs end or a stop request, continuing from {@code resumeFrom}
     * (a checkpoint this trainer wrote in {@code outDir}) when it is not null: its parameters, both
     * optimizers' state and step; the order of the pairs is replayed from the seed, so the resumed
     * run computes exactly what the uninterrupted run would have.
     */
    public Result train(List<EncodedPreference> train, List<EncodedPreference> heldOut, Path outDir, Checkpoint resumeFrom)
            throws IOException {
        if (train.isEmpty()) throw new IllegalArgumentException("no training pairs");
        Files.createDirectories(outDir);
        int batchesPerEpoch = (train.size() + config.pairsPerBatch() - 1) / config.pairsPerBatch();
        int steps = batchesPerEpoch * config.epochs();
        OptimizerConfig optimizerConfig = config.optimizer().withWarmupSteps(config.warmupSteps(steps));
        ModelParameters params = objective.parameters();
        AdamW optimizer = new AdamW(optimizerConfig, params);
        ScalarHead head = objective.head();
        AdamW headOptimizer = head == null ? null : new AdamW(optimizerConfig, headDecays(head));
        int step = resumeFrom == null ? 0 : restore(resumeFrom, outDir, steps, optimizer, headOptimizer);
        Random order = new Random(config.seed());
        List<EncodedPreference> shuffled = new ArrayList<>(train);
        int shuffledEpochs = 0;
        double trainLoss = Double.NaN;
        Evaluation evaluation = null;
        int firstStep = step;
        long start = System.nanoTime();
        try (StopOnShutdown ignored = StopOnShutdown.install(this::requestStop);
             TrainingLog log = new TrainingLog(outDir, step)) {
            while (step < steps && !stopRequested) {
                // Each epoch is one shuffle of the pairs with the seeded generator; a resumed run replays the earlier ones
                int epoch = step / batchesPerEpoch, first = step % batchesPerEpoch * config.pairsPerBatch();
                for (; shuffledEpochs <= epoch; shuffledEpochs++) Collections.shuffle(shuffled, order);
                List<EncodedPreference> pairs = shuffled.subList(first, Math.min(shuffled.size(), first + config.pairsPerBatch()));
                PreferenceBatch batch = PreferenceBatch.of(pairs, config.pairsPerBatch(), config.seqLen(), padId);
                double lr = LearningRateSchedule.learningRate(optimizerConfig, step, steps);
                params.zeroGradients();
                if (head != null) head.zeroGradients();
                PreferenceObjective.PairResults r = objective.forwardBackward(batch, 1.0 / pairs.size());
                double gradNorm = optimizer.step(parallel, params.values(), params.gradients(), lr);
                if (head != null) headOptimizer.step(parallel, head.values(), head.gradients(), lr);
                trainLoss = weightedMean(r.losses(), batch.weights());
                double accuracy = weightedAccuracy(r.margins(), batch.weights());
                step++;
                double elapsed = (System.nanoTime() - start) / 1e9;
                long tokens = (long) (step - firstStep) * objective.rows() * objective.seqLen();
                log.trainStep(step, trainLoss, lr, gradNorm, (long) step * objective.rows() * objective.seqLen(), tokens / elapsed, elapsed);
                Map<String, Double> batchFigures = new LinkedHashMap<>();
                batchFigures.put("accuracy", accuracy);
                batchFigures.put("mean_margin", weightedMean(r.margins(), batch.weights()));
                log.metrics(step, "pairs", batchFigures);
                progress.printf(Locale.ROOT, "%s step %d/%d | loss %.4f | accuracy %.2f | lr %.3e | grad norm %.3f%n",
                        objective.name(), step, steps, trainLoss, accuracy, lr, gradNorm);
                boolean last = step == steps;
                if (!heldOut.isEmpty() && (last || (config.evalEvery() > 0 && step % config.evalEvery() == 0))) {
                    evaluation = evaluate(heldOut);
                    log.validation(step, evaluation.loss());
                    log.metrics(step, "heldout", metrics(evaluation));
                    progress.printf(Locale.ROOT, "%s step %d | held-out loss %.4f | accuracy %.3f over %d pairs %s%n",
                            objective.name(), step, evaluation.loss(), evaluation.accuracy(), evaluation.pairs(),
                            evaluation.accuracyByRating());
                    plot(log);
                }
                if (last || stopRequested || (config.saveEvery() > 0 && step % config.saveEvery() == 0)) {
                    saveCheckpoint(outDir, steps, step, optimizer, headOptimizer);
                }
            }
            if (step < steps) progress.printf(Locale.ROOT, "%s: stopped at step %d; resume with --resume%n", objective.name(), step);
            plot(log);
        }
        if (evaluation == null && !heldOut.isEmpty()) evaluation = evaluate(heldOut);
        return new Result(step, trainLoss, evaluation, step < steps);
    }

    /** loss.png, accuracy.png (per rating too) and margin.png: the reward gap r_c − r_r, or DPO's implicit β z. */
    private void plot(TrainingLog log) throws IOException {
        log.plot(plotTitle());
        List<TrainingLog.Curve> accuracy = new ArrayList<>(List.of(new TrainingLog.Curve("train batch", "pairs", "accuracy"),
                new TrainingLog.Curve("held-out", "heldout", "accuracy")));
        for (PreferenceRating rating : PreferenceRating.values()) {
            accuracy.add(new TrainingLog.Curve("held-out " + rating.jsonName(), "heldout", "accuracy_" + rating.jsonName()));
        }
        log.plotFigures(ACCURACY_PLOT, plotTitle() + ": accuracy (chosen above rejected)", accuracy);
        log.plotFigures(MARGIN_PLOT, plotTitle() + ": mean " + (objective.head() != null ? "reward gap r_c - r_r" : "implicit reward gap"),
                List.of(new TrainingLog.Curve("train batch", "pairs", "mean_margin"),
                        new TrainingLog.Curve("held-out", "heldout", "mean_margin")));
    }

    /** Restores the state of {@code from} and returns its step; refuses a checkpoint of another run. */
    private int restore(Checkpoint from, Path outDir, int steps, AdamW optimizer, AdamW headOptimizer) throws IOException {
        Path file = outDir.resolve(Checkpoint.FILE_NAME);
        ModelParameters params = objective.parameters();
        TrainerConfig t = from.trainer();
        if (from.parameters().length != params.size() || t.steps() != steps || t.seed() != config.seed()
                || t.batch() != objective.rows() || t.seqLen() != objective.seqLen()) {
            throw new IllegalArgumentException(file + ": the checkpoint is of another run (" + from.parameters().length
                    + " parameters, " + t.steps() + " steps, seed " + t.seed() + ", " + t.batch() + " x " + t.seqLen()
                    + " tokens); this one has " + params.size() + " parameters, " + steps + " steps, seed " + config.seed()
                    + ", " + objective.rows() + " x " + objective.seqLen() + ": resume with the options of the first run");
        }
        System.arraycopy(from.parameters(), 0, params.values(), 0, params.size());
        System.arraycopy(from.firstMoment(), 0, optimizer.firstMoment(), 0, params.size());
        System.arraycopy(from.secondMoment(), 0, optimizer.secondMoment(), 0, params.size());
        optimizer.restore(from.optimizerUpdates());
        if (objective.head() != null) OptimizedState.restore(from, file, HEAD_STATE, objective.head().values(), headOptimizer);
        return from.step();
    }

    /** Loss and accuracy of the current model on {@code pairs}. */
    public Evaluation evaluate(List<EncodedPreference> pairs) {
        double loss = 0, margin = 0;
        int correct = 0;
        Map<PreferenceRating, int[]> byRating = new EnumMap<>(PreferenceRating.class);
        for (int first = 0; first < pairs.size(); first += config.pairsPerBatch()) {
            List<EncodedPreference> chunk = pairs.subList(first, Math.min(pairs.size(), first + config.pairsPerBatch()));
            PreferenceBatch batch = PreferenceBatch.of(chunk, config.pairsPerBatch(), config.seqLen(), padId);
            PreferenceObjective.PairResults r = objective.evaluate(batch);
            for (int p = 0; p < chunk.size(); p++) {
                loss += r.losses()[p];
                margin += r.margins()[p];
                boolean right = r.margins()[p] > 0;
                if (right) correct++;
                int[] counts = byRating.computeIfAbsent(chunk.get(p).rating(), k -> new int[2]);
                counts[0] += right ? 1 : 0;
                counts[1]++;
            }
        }
        Map<PreferenceRating, Double> accuracy = new EnumMap<>(PreferenceRating.class);
        Map<PreferenceRating, Integer> counts = new EnumMap<>(PreferenceRating.class);
        byRating.forEach((rating, c) -> {
            accuracy.put(rating, (double) c[0] / c[1]);
            counts.put(rating, c[1]);
        });
        int n = Math.max(1, pairs.size());
        return new Evaluation(loss / n, (double) correct / n, pairs.size(), accuracy, counts, margin / n);
    }

    private void saveCheckpoint(Path outDir, int steps, int step, AdamW optimizer, AdamW headOptimizer) throws IOException {
        ModelParameters params = objective.parameters();
        TrainerConfig asTrainer = new TrainerConfig(steps, objective.rows(), objective.seqLen(), 1,
                config.evalEvery(), TrainerConfig.DEFAULT_EVAL_BATCHES, config.saveEvery(), config.seed(), optimizer.config());
        Map<String, float[]> arrays = new LinkedHashMap<>();
        Map<String, Double> values = new LinkedHashMap<>();
        if (objective.head() != null) OptimizedState.save(HEAD_STATE, objective.head().values(), headOptimizer, arrays, values);
        // The loader position is the number of pairs consumed (informative: the order is replayed from the step)
        new Checkpoint(params.config(), params.tiedEmbeddings(), asTrainer, step, (long) step * config.pairsPerBatch(),
                optimizer.updates(), params.values(), optimizer.firstMoment(), optimizer.secondMoment(), arrays, values)
                .write(outDir.resolve(Checkpoint.FILE_NAME));
        if (objective.head() != null) objective.head().write(outDir.resolve(ScalarHead.FILE_NAME));
    }

    private static Map<String, Double> metrics(Evaluation e) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("accuracy", e.accuracy());
        m.put("mean_margin", e.meanMargin());
        e.accuracyByRating().forEach((rating, a) -> m.put("accuracy_" + rating.jsonName(), a));
        return m;
    }

    /** Weight decay on the head's weights, not on its bias (as for the backbone's norm gains). */
    private static boolean[] headDecays(ScalarHead head) {
        boolean[] decays = new boolean[head.values().length];
        java.util.Arrays.fill(decays, 0, head.dim(), true);
        return decays;
    }

    private static double weightedMean(double[] values, float[] weights) {
        double sum = 0, total = 0;
        for (int i = 0; i < values.length; i++) { sum += weights[i] * values[i]; total += weights[i]; }
        return sum / total;
    }

    private static double weightedAccuracy(double[] margins, float[] weights) {
        double right = 0, total = 0;
        for (int i = 0; i < margins.length; i++) { right += margins[i] > 0 ? weights[i] : 0; total += weights[i]; }
        return right / total;
    }

    private String plotTitle() {
        var c = objective.parameters().config();
        return String.format(Locale.ROOT, "llama2j %s: dim %d, %d layers; %d pairs/step", objective.name(), c.dim(), c.nLayers(),
                config.pairsPerBatch());
    }
}
