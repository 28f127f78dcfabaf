package io.llama2j.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of one task: aggregate metrics for the terminal table and, per item, what the
 * model chose or wrote, for the JSON results file.
 *
 * @param task    the task's name (its file name)
 * @param format  "choice", "truthfulqa" or "generate"
 * @param items   items evaluated
 * @param shots   few-shot examples per prompt
 * @param metrics aggregate metrics, in display order
 * @param details one map per item (JSON-ready: strings, numbers, booleans, lists)
 */
public record EvalReport(String task, String format, int items, int shots, List<Metric> metrics,
                         List<Map<String, Object>> details) {

    /** A metric's mean over items and the standard error of that mean (NaN for one item). */
    public record Metric(String name, double value, double stderr) {
        /** Mean and sample standard error of per-item values, as lm-evaluation-harness reports them. */
        public static Metric of(String name, double[] perItem) {
            int n = perItem.length;
            double mean = 0;
            for (double v : perItem) mean += v;
            mean /= n;
            double squares = 0;
            for (double v : perItem) squares += (v - mean) * (v - mean);
            double stderr = n > 1 ? Math.sqrt(squares / (n - 1) / n) : Double.NaN;
            return new Metric(name, mean, stderr);
        }
    }

    /** The metric called {@code name}. */
    public Metric metric(String name) {
        return metrics.stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no metric " + name + " in " + metrics));
    }

    /** A fixed-width table: one row per metric. */
    public String table() {
        int taskWidth = Math.max(4, task.length());
        StringBuilder sb = new StringBuilder();
        String row = "%-" + taskWidth + "s  %-10s  %5s  %5s  %-16s  %7s  %8s%n";
        sb.append(String.format(Locale.ROOT, row, "task", "format", "items", "shots", "metric", "value", "stderr"));
        for (Metric m : metrics) {
            sb.append(String.format(Locale.ROOT, row, task, format, items, shots, m.name(),
                    String.format(Locale.ROOT, "%.4f", m.value()),
                    Double.isNaN(m.stderr()) ? "-" : String.format(Locale.ROOT, "± %.4f", m.stderr())));
        }
        return sb.toString();
    }

    /** The report as nested maps and lists, ready for a JSON writer. */
    public Map<String, Object> toJson() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("task", task);
        out.put("format", format);
        out.put("items", items);
        out.put("shots", shots);
        Map<String, Object> results = new LinkedHashMap<>();
        for (Metric m : metrics) {
            results.put(m.name(), m.value());
            results.put(m.name() + "_stderr", Double.isNaN(m.stderr()) ? null : m.stderr());
        }
        out.put("metrics", results);
        out.put("samples", details);
        return out;
    }

    /**
     * Writes the results file of {@code llama2j eval -o} (and {@code spark-eval}): {"model"}, then
     * {@link #toJson()}, indented. Creates the parent folder.
     */
    public void writeJson(Path file, String model) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", model);
        json.putAll(toJson());
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json);
    }
}
