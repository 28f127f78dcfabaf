package io.llama2j.cli;

import io.llama2j.speed.SpeedBenchmark;
import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.model.Llama;
import io.llama2j.model.WeightLayout;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.GgmlType;
import io.llama2j.tensor.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * `llama2j bench`: prompt-processing and generation throughput, printed like llama.cpp's
 * llama-bench (same table columns, same JSON field names) so the two can be compared line by line.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure prompt processing (ppN) and generation (tgN) in tokens/s, as llama.cpp's llama-bench does.",
                "Each test runs once unmeasured (warm-up), then -r times; the table shows mean ± sd."})
public final class BenchCommand implements Callable<Integer> {

    /** What the backend column shows: our kernels are Java Vector API code on the CPU. */
    static final String BACKEND = "CPU (Java Vector API)";

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, description = "Model file (GGUF, llama2.c .bin, ...) (default: the bundled models/llama2j-chat.gguf).")
    Path model;

    @Option(names = {"-p", "--n-prompt"}, defaultValue = "512", description = "Prompt tokens of the pp test, 0 for none (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = {"-n", "--n-gen"}, defaultValue = "128", description = "Tokens of the tg test, 0 for none (default: ${DEFAULT-VALUE}).")
    int generatedTokens;

    @Option(names = {"-ub", "--ubatch-size"}, defaultValue = "512",
            description = "Prompt tokens per forward pass, as llama-bench's micro-batch (default: ${DEFAULT-VALUE}).")
    int promptBatch;

    @Option(names = {"-t", "--threads"}, description = "Threads (default: all cores).")
    Integer threads;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "5", description = "Measured runs per test (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--warmup", defaultValue = "1", description = "Unmeasured runs per test before them (default: ${DEFAULT-VALUE}).")
    int warmups;

    @Mixin
    ActivationOptions activations;

    @Option(names = "--weights", defaultValue = "PACKED",
            description = "PACKED (Q4_0/Q8_0 matrices copied into the kernels' layout at load) or MAPPED (read from the mapped file, no copy) (default: ${DEFAULT-VALUE}).")
    WeightLayout weights;

    @Option(names = {"-o", "--output"}, defaultValue = "md", description = "md (table) or json (llama-bench's fields) (default: ${DEFAULT-VALUE}).")
    String output;

    @Override
    public Integer call() throws Exception {
        model = BundledModel.orBundled(model);
        if (!output.equals("md") && !output.equals("json")) {
            throw new ParameterException(spec.commandLine(), "-o must be md or json, found " + output);
        }
        if (threads != null && threads < 1) throw new ParameterException(spec.commandLine(), "--threads must be at least 1, found " + threads);
        SpeedBenchmark.Settings settings;
        try {
            settings = new SpeedBenchmark.Settings(promptTokens, generatedTokens, promptBatch, repetitions, warmups, SpeedBenchmark.Settings.DEFAULT.seed());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int nThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        long loadStart = System.nanoTime();
        try (LoadedModel loaded = ModelLoader.loadWeightsOnly(model); Parallel parallel = new Parallel(nThreads)) {
            Llama llama = new Llama(loaded.config(), loaded.weights(), parallel, null, weights).withActivationPrecision(activations.precision);
            double loadMillis = (System.nanoTime() - loadStart) / 1e6;
            err.printf(Locale.ROOT, "llama2j bench: loaded %s in %.0f ms; %s%n", model, loadMillis, llama.productWeights().note());
            err.flush();
            ModelInfo info = ModelInfo.of(loaded.config(), loaded.weights());
            List<SpeedBenchmark.Result> results = SpeedBenchmark.run(llama, settings);
            if (output.equals("json")) {
                out.println(json(info, nThreads, settings.promptBatch(), loadMillis, results));
            } else {
                out.print(table(info, nThreads, results));
                out.printf(Locale.ROOT, "%nload time: %.0f ms%n", loadMillis);
            }
            out.flush();
        }
        return 0;
    }

    /**
     * The model columns of llama-bench: a type name ("llama 7B Q4_0"), bytes of all weights and
     * the parameter count.
     */
    record ModelInfo(String type, long bytes, long parameters) {
        static ModelInfo of(LlamaConfig c, LlamaWeights w) {
            List<FloatTensor> all = new ArrayList<>(List.of(w.tokenEmbedding(), w.outputNorm()));
            if (w.output() != w.tokenEmbedding()) all.add(w.output());
            for (FloatTensor[] layer : new FloatTensor[][]{w.attentionNorm(), w.wq(), w.wk(), w.wv(), w.wo(), w.ffnNorm(), w.w1(), w.w2(), w.w3()}) {
                all.addAll(List.of(layer));
            }
            long bytes = 0, parameters = 0;
            Map<GgmlType, Long> bytesByType = new EnumMap<>(GgmlType.class);
            for (FloatTensor t : all) {
                bytes += t.byteSize();
                parameters += t.size();
                bytesByType.merge(t.type(), t.byteSize(), Long::sum);
            }
            // the "mostly" type is the type of the layers' matrices, as llama.cpp's file type names it
            GgmlType mostly = w.wq()[0].type();
            return new ModelInfo("llama " + sizeLabel(c.nLayers()) + " " + mostly, bytes, parameters);
        }

        /** llama.cpp's model size label for a Llama by its layer count (llama-model.cpp, LLM_ARCH_LLAMA). */
        static String sizeLabel(int layers) {
            return switch (layers) {
                case 22 -> "1B";
                case 26, 28 -> "3B";
                case 32 -> "7B";
                case 40 -> "13B";
                case 48 -> "34B";
                case 60 -> "30B";
                case 80 -> "70B";
                default -> "?B";
            };
        }
    }

    static String table(ModelInfo info, int threads, List<SpeedBenchmark.Result> results) {
        String[] header = {"model", "size", "params", "backend", "threads", "test", "t/s"};
        List<String[]> rows = new ArrayList<>();
        for (SpeedBenchmark.Result r : results) {
            rows.add(new String[]{info.type(), bytesLabel(info.bytes()), countLabel(info.parameters()), BACKEND, Integer.toString(threads), r.testName(),
                    String.format(Locale.ROOT, "%.2f ± %.2f", r.meanTokensPerSecond(), r.stddevTokensPerSecond())});
        }
        int[] width = new int[header.length];
        for (int i = 0; i < header.length; i++) {
            width[i] = header[i].length();
            for (String[] row : rows) width[i] = Math.max(width[i], row[i].length());
        }
        StringBuilder sb = new StringBuilder();
        appendRow(sb, header, width);
        sb.append('|');
        for (int i = 0; i < width.length; i++) {
            boolean rightAligned = i == 1 || i == 2 || i >= 4; // numbers right-aligned, as llama-bench does
            sb.append(rightAligned ? "-".repeat(width[i] + 1) + ":" : " " + "-".repeat(width[i]) + " ").append('|');
        }
        sb.append('\n');
        for (String[] row : rows) appendRow(sb, row, width);
        return sb.toString();
    }

    /** Bytes as llama-bench shows them: GiB, MiB or KiB with two decimals. */
    static String bytesLabel(long bytes) {
        if (bytes >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
        if (bytes >= 1L << 20) return String.format(Locale.ROOT, "%.2f MiB", bytes / (double) (1L << 20));
        return String.format(Locale.ROOT, "%.2f KiB", bytes / 1024.0);
    }

    /** A parameter count as llama-bench shows it: B, M or K with two decimals. */
    static String countLabel(long n) {
        if (n >= 1_000_000_000L) return String.format(Locale.ROOT, "%.2f B", n / 1e9);
        if (n >= 1_000_000L) return String.format(Locale.ROOT, "%.2f M", n / 1e6);
        return String.format(Locale.ROOT, "%.2f K", n / 1e3);
    }

    private static void appendRow(StringBuilder sb, String[] cells, int[] width) {
        sb.append('|');
        for (int i = 0; i < cells.length; i++) {
            boolean rightAligned = i == 1 || i == 2 || i >= 4;
            String pad = " ".repeat(width[i] - cells[i].length());
            sb.append(' ').append(rightAligned ? pad + cells[i] : cells[i] + pad).append(" |");
        }
        sb.append('\n');
    }

    static String json(ModelInfo info, int threads, int promptBatch, double loadMillis, List<SpeedBenchmark.Result> results) {
        StringBuilder sb = new StringBuilder("[\n");
        for (int i = 0; i < results.size(); i++) {
            SpeedBenchmark.Result r = results.get(i);
            sb.append("  {\n");
            field(sb, "model_type", quote(info.type()));
            field(sb, "model_size", Long.toString(info.bytes()));
            field(sb, "model_n_params", Long.toString(info.parameters()));
            field(sb, "backends", quote(BACKEND));
            field(sb, "n_ubatch", Integer.toString(promptBatch));
            field(sb, "n_threads", Integer.toString(threads));
            field(sb, "n_prompt", Integer.toString(r.nPrompt()));
            field(sb, "n_gen", Integer.toString(r.nGen()));
            field(sb, "avg_ns", Long.toString(Math.round(r.meanNanos())));
            field(sb, "stddev_ns", Long.toString(Math.round(r.stddevNanos())));
            field(sb, "avg_ts", String.format(Locale.ROOT, "%.6f", r.meanTokensPerSecond()));
            field(sb, "stddev_ts", String.format(Locale.ROOT, "%.6f", r.stddevTokensPerSecond()));
            StringBuilder samples = new StringBuilder("[");
            double[] ts = r.tokensPerSecond();
            for (int k = 0; k < ts.length; k++) samples.append(k == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.6f", ts[k]));
            field(sb, "samples_ts", samples.append(']').toString());
            sb.append("    \"load_ms\": ").append(String.format(Locale.ROOT, "%.1f", loadMillis)).append('\n');
            sb.append(i + 1 < results.size() ? "  },\n" : "  }\n");
        }
        return sb.append(']').toString();
    }

    private static void field(StringBuilder sb, String name, String value) {
        sb.append("    \"").append(name).append("\": ").append(value).append(",\n");
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
