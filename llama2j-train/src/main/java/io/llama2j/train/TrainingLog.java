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
import java.util.List;

/**
 * The run's JSONL log (one object per line): {"type":"train", step, loss, lr, grad_norm,
 * tokens, tokens_per_s, elapsed_s} for every step and {"type":"val", step, loss} for every
 * evaluation; the loss plot is drawn from it. A resumed run first drops the lines of steps
 * after its checkpoint, so the log reads as one uninterrupted run.
 */
public final class TrainingLog implements AutoCloseable {
    public static final String FILE_NAME = "log.jsonl";
    public static final String PLOT_NAME = "loss.png";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final BufferedWriter out;
    private final List<LossPlot.Point> train = new ArrayList<>();
    private final List<LossPlot.Point> validation = new ArrayList<>();

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
        LossPlot.Point p = new LossPlot.Point(node.path("step").asInt(), node.path("loss").asDouble());
        String type = node.path("type").asText();
        if ("val".equals(type)) validation.add(p); else if ("train".equals(type)) train.add(p);
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
    public void metrics(int step, String type, java.util.Map<String, Double> values) throws IOException {
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
        LossPlot.write(file.resolveSibling(PLOT_NAME), title, train, validation);
    }

    public List<LossPlot.Point> validationLosses() { return List.copyOf(validation); }

    @Override public void close() throws IOException { out.close(); }
}
