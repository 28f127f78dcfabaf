package io.llama2j.train.reward;

import io.llama2j.tensor.Parallel;
import io.llama2j.train.Checkpoint;
import io.llama2j.train.ModelParameters;
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
 * log.jsonl / loss.png / checkpoint.bin in the output folder (plus the scalar head, if any).
 */
public final class PreferenceTrainer {
    private final PreferenceObjective objective;
    private final PreferenceTrainingConfig config;
    private final Parallel parallel;
    private final PrintStream progress;
    private final int padId;

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

    public record Result(int steps, double trainLoss, Evaluation heldOut) {}

    public Result train(List<EncodedPreference> train, List<EncodedPreference> heldOut, Path outDir) throws IOException {
        if (train.isEmpty()) throw new IllegalArgumentException("no training pairs");
        Files.createDirectories(outDir);
        int batchesPerEpoch = (train.size() + config.pairsPerBatch() - 1) / config.pairsPerBatch();
        int steps = batchesPerEpoch * config.epochs();
        OptimizerConfig optimizerConfig = config.optimizer().withWarmupSteps(config.warmupSteps(steps));
        ModelParameters params = objective.parameters();
        AdamW optimizer = new AdamW(optimizerConfig, params);
        ScalarHead head = objective.head();
        AdamW headOptimizer = head == null ? null : new AdamW(optimizerConfig, headDecays(head));
        Random order = new Random(config.seed());
        List<EncodedPreference> shuffled = new ArrayList<>(train);
        double trainLoss = Double.NaN;
        Evaluation evaluation = null;
        int step = 0;
        long start = System.nanoTime();
        try (TrainingLog log = new TrainingLog(outDir, 0)) {
            for (int epoch = 0; epoch < config.epochs(); epoch++) {
                Collections.shuffle(shuffled, order);
                for (int first = 0; first < shuffled.size(); first += config.pairsPerBatch()) {
                    List<EncodedPreference> pairs = shuffled.subList(first, Math.min(shuffled.size(), first + config.pairsPerBatch()));
                    PreferenceBatch batch = PreferenceBatch.of(pairs, config.pairsPerBatch(), config.seqLen(), padId);
                    double lr = LearningRateSchedule.learningRate(optimizerConfig, step, steps);
                    params.zeroGradients();
                    if (head != null) head.zeroGradients();
                    PreferenceObjective.PairResults r = objective.forwardBackward(batch, 1.0 / pairs.size());
                    double gradNorm = optimizer.step(parallel, params.values(), params.gradients(), lr);
                    if (head != null) headOptimizer.step(parallel, head.values(), head.gradients(), lr);
                    trainLoss = weightedMean(r.losses(), batch.weights());
                    step++;
                    double elapsed = (System.nanoTime() - start) / 1e9;
                    long tokens = (long) step * objective.rows() * objective.seqLen();
                    log.trainStep(step, trainLoss, lr, gradNorm, tokens, tokens / elapsed, elapsed);
                    progress.printf(Locale.ROOT, "%s step %d/%d | loss %.4f | accuracy %.2f | lr %.3e | grad norm %.3f%n",
                            objective.name(), step, steps, trainLoss, weightedAccuracy(r.margins(), batch.weights()), lr, gradNorm);
                    boolean last = step == steps;
                    if (!heldOut.isEmpty() && (last || (config.evalEvery() > 0 && step % config.evalEvery() == 0))) {
                        evaluation = evaluate(heldOut);
                        log.validation(step, evaluation.loss());
                        log.metrics(step, "heldout", metrics(evaluation));
                        progress.printf(Locale.ROOT, "%s step %d | held-out loss %.4f | accuracy %.3f over %d pairs %s%n",
                                objective.name(), step, evaluation.loss(), evaluation.accuracy(), evaluation.pairs(),
                                evaluation.accuracyByRating());
                        log.plot(plotTitle());
                    }
                }
            }
            log.plot(plotTitle());
        }
        saveCheckpoint(outDir, steps, optimizer);
        return new Result(step, trainLoss, evaluation);
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

    private void saveCheckpoint(Path outDir, int steps, AdamW optimizer) throws IOException {
        ModelParameters params = objective.parameters();
        TrainerConfig asTrainer = new TrainerConfig(steps, objective.rows(), objective.seqLen(), 1,
                config.evalEvery(), TrainerConfig.DEFAULT_EVAL_BATCHES, 0, config.seed(), optimizer.config());
        new Checkpoint(params.config(), params.tiedEmbeddings(), asTrainer, steps, 0, optimizer.updates(), params.values(),
                optimizer.firstMoment(), optimizer.secondMoment()).write(outDir.resolve(Checkpoint.FILE_NAME));
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
