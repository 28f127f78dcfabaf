package io.llama2j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The run's JSONL log (one object per line): {"type":"train", step, loss, lr, grad_norm,
 * tokens, tokens_per_s, elapsed_s} for every step and {"type":"val", step, loss} for every
 * evaluation, and a stage's own figures as {"type": t, step, name: value...} ({@link #metrics});
 * the loss plot and the stage's figure plots ({@link #plotFigures}) are drawn from it. A resumed run
 * first drops the lines of steps after its checkpoint, so the log reads as one uninterrupted run.
 */
public final class TrainingLog implements AutoCloseable {
    public static final String FILE_NAME = "log.jsonl";
    public static final String PLOT_NAME = "loss.png";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final BufferedWriter out;
    /** Every numeric figure logged so far: type → name → points in step order. */
    private final Map<String, Map<String, List<LossPlot.Point>>> figures = new LinkedHashMap<>();

    /** A curve to plot: the figure {@code name} of the entries of {@code type}, labelled {@code label}. */
    public record Curve(String label, String type, String name) {}

    /** Opens the log in {@code dir}, keeping only the entries of steps 1..{@code keepThroughStep} (none for a fresh run). */
    public TrainingLog(Path dir, int keepThroughStep) throws IOException {
        this.file = dir.resolve(FILE_NAME);
        List<String> kept = new ArrayList<>();
        if (keepThroughStep > 0 && Files.isRegularFile(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (IOException e) {
                    continue; // a line torn by the interruption
                }
                int step = node.path("step").asInt(Integer.MAX_VALUE);
                if (step > keepThroughStep) continue;
                kept.add(line);
                record(node);
            }
        }
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        for (String line : kept) {
            out.write(line);
            out.newLine();
        }
        out.flush();
    }

    private void record(JsonNode node) {
        int step = node.path("step").asInt();
        Map<String, List<LossPlot.Point>> ofType = figures.computeIfAbsent(node.path("type").asText(), k -> new LinkedHashMap<>());
        for (var it = node.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (e.getValue().isNumber() && !e.getKey().equals("step")) {
                ofType.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(new LossPlot.Point(step, e.getValue().asDouble()));
            }
        }
    }

    /** The points of figure {@code name} of the entries of {@code type} (empty if none were logged). */
    public List<LossPlot.Point> series(String type, String name) {
        return List.copyOf(figures.getOrDefault(type, Map.of()).getOrDefault(name, List.of()));
    }

    public void trainStep(int step, double loss, double lr, double gradNorm, long tokens, double tokensPerSecond,
                          double elapsedSeconds) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", "train").put("step", step).put("loss", loss).put("lr", lr).put("grad_norm", gradNorm)
                .put("tokens", tokens).put("tokens_per_s", tokensPerSecond).put("elapsed_s", elapsedSeconds);
        write(n);
    }

    public void validation(int step, double loss) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", "val").put("step", step).put("loss", loss);
        write(n);
    }

    /** Extra figures of a stage (held-out accuracy of a reward model, mean reward and KL of PPO) as a {@code type} entry. */
    public void metrics(int step, String type, Map<String, Double> values) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", type).put("step", step);
        values.forEach(n::put);
        write(n);
    }

    private void write(ObjectNode n) throws IOException {
        out.write(JSON.writeValueAsString(n));
        out.newLine();
        out.flush();
        record(n);
    }

    /** Redraws loss.png beside the log. */
    public void plot(String title) throws IOException {
        LossPlot.write(file.resolveSibling(PLOT_NAME), title, series("train", "loss"), series("val", "loss"));
    }

    /** Draws {@code curves} into {@code fileName} beside the log (reward.png, kl.png of a stage). */
    public void plotFigures(String fileName, String title, List<Curve> curves) throws IOException {
        List<LossPlot.Series> series = new ArrayList<>();
        for (Curve c : curves) series.add(new LossPlot.Series(c.label(), series(c.type(), c.name())));
        LossPlot.write(file.resolveSibling(fileName), title, series);
    }

    public List<LossPlot.Point> validationLosses() { return series("val", "loss"); }

    @Override public void close() throws IOException { out.close(); }
}
