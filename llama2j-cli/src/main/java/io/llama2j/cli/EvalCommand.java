package io.llama2j.cli;

import io.llama2j.eval.EvalReport;
import io.llama2j.eval.EvalSettings;
import io.llama2j.eval.EvalTask;
import io.llama2j.eval.Evaluator;
import io.llama2j.eval.TaskFormat;
import io.llama2j.eval.TaskReader;
import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.tensor.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * `llama2j eval`: a benchmark task scored the way lm-evaluation-harness scores it; the results
 * table goes to stdout, per-item results to the JSON file given with -o.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate a model on a task file:",
                "  multiple choice by log-likelihood ({\"context\" or \"question\", \"choices\", \"answer\"}): acc, acc_norm;",
                "  TruthfulQA's mc_task.json: MC1 and MC2;",
                "  generation with answer extraction ({\"question\", \"answer\"}, GSM8K style): exact match."})
public final class EvalCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, description = "Model file or folder, or OWNER/REPO[/FILE] after llama2j pull.")
    Path model;

    @Option(names = {"-z", "--tokenizer"}, description = "Tokenizer file (default: from the model).")
    Path tokenizer;

    @Option(names = "--task", required = true, description = "Task file: JSON Lines, or a JSON list (TruthfulQA).")
    Path taskFile;

    @Option(names = "--format", defaultValue = "auto",
            description = "auto, choice, truthfulqa or generate (default: ${DEFAULT-VALUE}: from the first item's fields).")
    String format;

    @Option(names = "--shots", defaultValue = "0", description = "Solved examples before each question, from the other items (default: ${DEFAULT-VALUE}).")
    int shots;

    @Option(names = "--limit", description = "Evaluate only the first N items.")
    Integer limit;

    @Option(names = "--seed", defaultValue = "" + EvalSettings.DEFAULT_SEED, description = "Seed for choosing few-shot examples (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--max-tokens", defaultValue = "" + EvalSettings.DEFAULT_MAX_NEW_TOKENS,
            description = "Generation tasks: tokens generated at most per answer (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--no-bos", description = "Do not start prompts with BOS.")
    boolean noBos;

    @Option(names = {"-o", "--output"}, description = "Write the metrics and per-item results to this JSON file.")
    Path output;

    @Option(names = {"-t", "--threads"}, description = "Threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        if (threads != null && threads < 1) throw new ParameterException(spec.commandLine(), "--threads must be at least 1, found " + threads);
        if (limit != null && limit < 1) throw new ParameterException(spec.commandLine(), "--limit must be positive, found " + limit);
        TaskFormat taskFormat;
        try {
            taskFormat = TaskFormat.valueOf(format.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--format must be auto, choice, truthfulqa or generate, found " + format);
        }
        EvalSettings settings;
        try {
            settings = new EvalSettings(shots, limit == null ? EvalSettings.ALL_ITEMS : limit, seed, !noBos,
                    InferenceState.DEFAULT_PROMPT_BATCH, maxTokens);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        EvalTask task = TaskReader.read(taskFile, taskFormat);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (LoadedModel m = ModelLoader.load(model, tokenizer);
             Parallel parallel = new Parallel(threads != null ? threads : Runtime.getRuntime().availableProcessors())) {
            Evaluator evaluator = new Evaluator(new Llama(m.config(), m.weights(), parallel), m.tokenizer(), settings);
            int total = limit == null ? task.size() : Math.min(limit, task.size());
            long start = System.nanoTime();
            EvalReport report = evaluator.run(taskFile.getFileName().toString(), task, done -> {
                err.printf("\reval: %d/%d items", done, total);
                err.flush();
            });
            err.printf(java.util.Locale.ROOT, "%neval: %.1f s%n", (System.nanoTime() - start) / 1e9);
            out.print(report.table());
            out.flush();
            if (output != null) {
                report.writeJson(output, m.source().toString());
                err.println("eval: results written to " + output);
            }
        }
        return 0;
    }
}
