package io.llama2j.spark;

import io.llama2j.spark.generate.BatchColumns;
import io.llama2j.spark.generate.BatchGeneration;
import io.llama2j.spark.generate.GenerationJobSettings;
import io.llama2j.eval.EvalReport;
import io.llama2j.eval.EvalSettings;
import io.llama2j.eval.TaskFormat;
import io.llama2j.spark.eval.EvalJobSettings;
import io.llama2j.spark.eval.ShardedEvaluation;
import io.llama2j.spark.prepare.CorpusPreparation;
import io.llama2j.spark.score.RewardScoring;
import io.llama2j.spark.score.ScoreColumns;
import io.llama2j.spark.score.ScoringJobSettings;
import io.llama2j.train.data.DatasetPreparer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Entry point of the Spark jobs, for spark-submit ({@code --class io.llama2j.spark.SparkMain
 * llama2j-spark-app.jar generate ...}) and for {@code llama2j spark-generate} / {@code spark-prepare},
 * {@code spark-score}, {@code spark-eval}, which run it in a child JVM with Spark on the class path (README, "Spark").
 */
@Command(name = "llama2j-spark", mixinStandardHelpOptions = true,
        description = "llama2j jobs on Apache Spark.",
        subcommands = {SparkMain.Generate.class, SparkMain.Score.class, SparkMain.Eval.class, SparkMain.Prepare.class, CommandLine.HelpCommand.class})
public final class SparkMain {
    /** Used when neither --master nor spark-submit set a master: every core, 4 attempts per task. */
    public static final String DEFAULT_MASTER = "local[*,4]";

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The job's command line as main runs it: user errors end as one line, not a stack trace. */
    static CommandLine commandLine() {
        return new CommandLine(new SparkMain()).setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(new JobErrorHandler());
    }

    /** CPU time of this whole process (every thread), or 0 where the JVM cannot tell. */
    static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return Math.max(0, os.getProcessCpuTime());
        }
        return 0;
    }

    static SparkSession session(String master, String appName) {
        SparkSession.Builder builder = SparkSession.builder().appName(appName);
        if (master != null) builder = builder.master(master);
        else if (System.getProperty("spark.master") == null) builder = builder.master(DEFAULT_MASTER);
        return builder.config("spark.ui.showConsoleProgress", "false").getOrCreate();
    }

    @Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Batch generation: a table of prompts or conversations in, the same rows with completions out.",
                    "Input columns: id, prompt or messages [{role, content}], optional seed, max_tokens, temperature.",
                    "Output adds completion, prompt_tokens, completion_tokens, finish_reason (stop|length|error), error."})
    static final class Generate implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = "--master", description = "Spark master, e.g. local[2] or local[2,4] (N threads, F attempts per task)"
                + " (default: spark-submit's, else " + DEFAULT_MASTER + ").")
        String master;

        @Option(names = "--input", required = true, description = "JSONL or Parquet file or folder.") Path input;

        @Option(names = "--output", required = true, description = "Output folder (Spark part files).") Path output;

        @Option(names = "--input-format", description = "jsonl or parquet (default: from the input path).") DataFormat inputFormat;

        @Option(names = "--output-format", description = "jsonl or parquet (default: from the output path, else jsonl).") DataFormat outputFormat;

        @Option(names = "--overwrite", description = "Replace an existing output.") boolean overwrite;

        @Option(names = {"-m", "--model"}, required = true, description = "Model file or folder, at the same path on every executor.") String model;

        @Option(names = {"-z", "--tokenizer"}, description = "Tokenizer file (default: from the model).") String tokenizer;

        @Option(names = {"-n", "--max-tokens"}, defaultValue = "" + GenerationJobSettings.DEFAULT_MAX_TOKENS,
                description = "New tokens per row unless the row's max_tokens says otherwise (default: ${DEFAULT-VALUE}).") int maxTokens;

        @Option(names = "--temperature", defaultValue = "" + GenerationJobSettings.DEFAULT_TEMPERATURE,
                description = "Temperature unless the row's says otherwise; 0 = greedy (default: ${DEFAULT-VALUE}).") float temperature;

        @Option(names = "--top-p", defaultValue = "" + GenerationJobSettings.DEFAULT_TOP_P, description = "Nucleus sampling (default: ${DEFAULT-VALUE}).") float topP;

        @Option(names = "--top-k", defaultValue = "0", description = "Top-k, 0 = off (default: ${DEFAULT-VALUE}).") int topK;

        @Option(names = "--seed", description = "Job seed; a row without a seed column samples with a seed derived from it and the row id"
                + " (default: from the clock, printed).") Long seed;

        @Option(names = "--stop", description = "Stop string (repeatable).") List<String> stops = List.of();

        @Option(names = "--partitions", description = "Repartition the input into this many partitions (default: as read).") Integer partitions;

        @Option(names = "--threads-per-task", defaultValue = "" + GenerationJobSettings.DEFAULT_THREADS_PER_TASK,
                description = "Matmul threads inside each Spark task (default: ${DEFAULT-VALUE}).") int threadsPerTask;

        @Option(names = "--batch", defaultValue = "" + GenerationJobSettings.DEFAULT_BATCH,
                description = "Rows each task decodes together, one batched forward per token; each holds a KV cache (default: ${DEFAULT-VALUE}).")
        int batch;

        @Override
        public Integer call() throws Exception {
            long jobSeed = seed != null ? seed : System.nanoTime();
            GenerationJobSettings settings;
            try {
                settings = new GenerationJobSettings(model, tokenizer, maxTokens, temperature, topP, topK, jobSeed, stops, threadsPerTask, batch);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            if (partitions != null && partitions < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--partitions must be at least 1");
            requireFreshOutput(spec, output, overwrite);
            DataFormat in = inputFormat != null ? inputFormat : DataFormat.of(input);
            DataFormat out = outputFormat != null ? outputFormat : formatOrJsonl(output);
            SparkSession spark = session(master, "llama2j generate");
            try {
                Dataset<Row> rows = in.read(spark, input);
                if (partitions != null) rows = rows.repartition(partitions);
                long start = System.nanoTime();
                long cpuStart = processCpuNanos();
                out.write(BatchGeneration.generate(rows, settings), output, overwrite);
                double seconds = (System.nanoTime() - start) / 1e9;
                // in local mode the executors are this process: CPU time is a speed that other
                // tenants of a shared machine disturb less than wall time
                double cpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
                Row totals = out.read(spark, output).agg(functions.count(functions.lit(1)),
                        functions.count(functions.when(functions.col(BatchColumns.FINISH_REASON).equalTo(BatchColumns.FINISH_ERROR), 1)),
                        functions.sum(BatchColumns.PROMPT_TOKENS), functions.sum(BatchColumns.COMPLETION_TOKENS)).first();
                long count = totals.getLong(0);
                long completionTokens = totals.isNullAt(3) ? 0 : totals.getLong(3);
                spec.commandLine().getErr().println(String.format(Locale.ROOT,
                        "spark-generate: %d rows (%d errors), %d prompt + %d completion tokens in %.1f s: %.2f rows/s, %.1f completion tokens/s;"
                                + " %.1f CPU-s in this JVM, %.0f completion tokens per CPU-second (master %s, seed %d) -> %s",
                        count, totals.getLong(1), totals.isNullAt(2) ? 0 : totals.getLong(2), completionTokens, seconds,
                        count / seconds, completionTokens / seconds, cpuSeconds, cpuSeconds > 0 ? completionTokens / cpuSeconds : 0,
                        spark.sparkContext().master(), jobSeed, output));
            } finally {
                spark.stop();
            }
            return 0;
        }

        static DataFormat formatOrJsonl(Path path) {
            try {
                return DataFormat.of(path);
            } catch (java.io.IOException e) {
                return DataFormat.JSONL;
            }
        }
    }

    /** Refuses to write over an existing output unless asked to. */
    static void requireFreshOutput(CommandSpec spec, Path output, boolean overwrite) {
        if (!overwrite && java.nio.file.Files.exists(output)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "the output " + output + " already exists; give --overwrite to replace it");
        }
    }

    @Command(name = "score", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Reward scoring (`llama2j reward-score` on Spark): a table of responses in, the same rows with scores out.",
                    "Input columns: prompt or messages [{role, content}], and response or chosen and rejected.",
                    "Output adds score (or chosen_score, rejected_score, chosen_wins) and error."})
    static final class Score implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = "--master", description = "Spark master (default: spark-submit's, else " + DEFAULT_MASTER + ").") String master;

        @Option(names = "--input", required = true, description = "JSONL or Parquet file or folder.") Path input;

        @Option(names = "--output", required = true, description = "Output folder (Spark part files).") Path output;

        @Option(names = "--input-format", description = "jsonl or parquet (default: from the input path).") DataFormat inputFormat;

        @Option(names = "--output-format", description = "jsonl or parquet (default: from the output path, else jsonl).") DataFormat outputFormat;

        @Option(names = "--overwrite", description = "Replace an existing output.") boolean overwrite;

        @Option(names = "--reward", required = true, paramLabel = "DIR",
                description = "A reward-train output folder (checkpoint.bin, reward-head.bin), at the same path on every executor.") String reward;

        @Option(names = {"-z", "--tokenizer"}, required = true, description = "The tokenizer of the reward model's base model.") String tokenizer;

        @Option(names = "--partitions", description = "Repartition the input into this many partitions (default: as read).") Integer partitions;

        @Option(names = "--threads-per-task", defaultValue = "" + ScoringJobSettings.DEFAULT_THREADS_PER_TASK,
                description = "Threads inside each Spark task (default: ${DEFAULT-VALUE}).") int threadsPerTask;

        @Override
        public Integer call() throws Exception {
            ScoringJobSettings settings;
            try {
                settings = new ScoringJobSettings(reward, tokenizer, threadsPerTask);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            if (partitions != null && partitions < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--partitions must be at least 1");
            requireFreshOutput(spec, output, overwrite);
            DataFormat in = inputFormat != null ? inputFormat : DataFormat.of(input);
            DataFormat out = outputFormat != null ? outputFormat : Generate.formatOrJsonl(output);
            SparkSession spark = session(master, "llama2j reward-score");
            try {
                Dataset<Row> rows = in.read(spark, input);
                if (partitions != null) rows = rows.repartition(partitions);
                long start = System.nanoTime();
                out.write(RewardScoring.score(rows, settings), output, overwrite);
                double seconds = (System.nanoTime() - start) / 1e9;
                Dataset<Row> written = out.read(spark, output);
                long count = written.count();
                long errors = written.filter(functions.col(ScoreColumns.ERROR).isNotNull()).count();
                String pairs = "";
                if (List.of(written.columns()).contains(ScoreColumns.CHOSEN_WINS)) {
                    Row wins = written.agg(functions.count(functions.col(ScoreColumns.CHOSEN_WINS)),
                            functions.count(functions.when(functions.col(ScoreColumns.CHOSEN_WINS), 1))).first();
                    if (wins.getLong(0) > 0) pairs = String.format(Locale.ROOT, "; chosen scored above rejected in %d of %d pairs (%.3f)",
                            wins.getLong(1), wins.getLong(0), (double) wins.getLong(1) / wins.getLong(0));
                }
                spec.commandLine().getErr().println(String.format(Locale.ROOT,
                        "spark-score: %d rows (%d errors) in %.1f s: %.2f rows/s%s (master %s) -> %s",
                        count, errors, seconds, count / seconds, pairs, spark.sparkContext().master(), output));
            } finally {
                spark.stop();
            }
            return 0;
        }
    }

    @Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"`llama2j eval` with the items sharded across executors: the same table (stdout) and JSON (-o)."})
    static final class Eval implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = "--master", description = "Spark master (default: spark-submit's, else " + DEFAULT_MASTER + ").") String master;

        @Option(names = {"-m", "--model"}, required = true, description = "Model file or folder, at the same path on every executor.") String model;

        @Option(names = {"-z", "--tokenizer"}, description = "Tokenizer file (default: from the model).") String tokenizer;

        @Option(names = "--task", required = true, description = "Task file: JSON Lines, or a JSON list (TruthfulQA); read here and shipped with the job.")
        Path taskFile;

        @Option(names = "--format", defaultValue = "auto",
                description = "auto, choice, truthfulqa or generate (default: ${DEFAULT-VALUE}: from the first item's fields).") String format;

        @Option(names = "--shots", defaultValue = "0", description = "Solved examples before each question, from the other items (default: ${DEFAULT-VALUE}).")
        int shots;

        @Option(names = "--limit", description = "Evaluate only the first N items.") Integer limit;

        @Option(names = "--seed", defaultValue = "" + EvalSettings.DEFAULT_SEED,
                description = "Seed for choosing few-shot examples (default: ${DEFAULT-VALUE}).") long seed;

        @Option(names = "--max-tokens", defaultValue = "" + EvalSettings.DEFAULT_MAX_NEW_TOKENS,
                description = "Generation tasks: tokens generated at most per answer (default: ${DEFAULT-VALUE}).") int maxTokens;

        @Option(names = "--no-bos", description = "Do not start prompts with BOS.") boolean noBos;

        @Option(names = {"-o", "--output"}, description = "Write the metrics and per-item results to this JSON file.") Path output;

        @Option(names = "--partitions", description = "Spark partitions of the items (default: Spark's default parallelism).") Integer partitions;

        @Option(names = "--threads-per-task", defaultValue = "" + EvalJobSettings.DEFAULT_THREADS_PER_TASK,
                description = "Matmul threads inside each Spark task (default: ${DEFAULT-VALUE}).") int threadsPerTask;

        @Override
        public Integer call() throws Exception {
            TaskFormat taskFormat;
            try {
                taskFormat = TaskFormat.valueOf(format.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--format must be auto, choice, truthfulqa or generate, found " + format);
            }
            if (partitions != null && partitions < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--partitions must be at least 1");
            EvalJobSettings settings;
            try {
                settings = new EvalJobSettings(model, tokenizer, taskFile.getFileName().toString(),
                        java.nio.file.Files.readString(taskFile, java.nio.charset.StandardCharsets.UTF_8), taskFormat, shots,
                        limit == null ? EvalSettings.ALL_ITEMS : limit, seed, !noBos, maxTokens, threadsPerTask);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            SparkSession spark = session(master, "llama2j eval");
            try {
                long start = System.nanoTime();
                EvalReport report = ShardedEvaluation.run(spark, settings,
                        partitions != null ? partitions : spark.sparkContext().defaultParallelism());
                spec.commandLine().getErr().printf(Locale.ROOT, "spark-eval: %d items in %.1f s (master %s)%n", report.items(),
                        (System.nanoTime() - start) / 1e9, spark.sparkContext().master());
                spec.commandLine().getOut().print(report.table());
                spec.commandLine().getOut().flush();
                if (output != null) {
                    // the model as `llama2j eval` names it: the path given, or where a hub reference resolved to
                    report.writeJson(output, io.llama2j.hub.ModelResolver.resolve(Path.of(model)).toString());
                    spec.commandLine().getErr().println("spark-eval: results written to " + output);
                }
            } finally {
                spark.stop();
            }
            return 0;
        }
    }

    @Command(name = "prepare", mixinStandardHelpOptions = true,
            description = {"`llama2j prepare` with the tokenization on Spark: the same shards, byte for byte."})
    static final class Prepare implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = "--master", description = "Spark master (default: spark-submit's, else " + DEFAULT_MASTER + ").") String master;

        @Option(names = {"-z", "--tokenizer"}, required = true, description = "Tokenizer, at the same path on every executor.") Path tokenizer;

        @Option(names = "--input", required = true, arity = "1..*", paramLabel = "FILE|DIR", description = "Text (.txt) or JSONL files, or folders of them.")
        List<Path> inputs;

        @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "Folder for the shards.") Path output;

        @Option(names = "--val-fraction", defaultValue = "0.05", paramLabel = "F", description = "Share of documents held out (default ${DEFAULT-VALUE}).")
        double validationFraction;

        @Option(names = "--shard-tokens", paramLabel = "N", description = "Tokens per shard file (default 64M).") Integer shardTokens;

        @Option(names = "--documents-per-partition", defaultValue = "" + CorpusPreparation.DEFAULT_DOCUMENTS_PER_PARTITION,
                description = "Documents per Spark task (default ${DEFAULT-VALUE}).") int documentsPerPartition;

        @Override
        public Integer call() throws Exception {
            SparkSession spark = session(master, "llama2j prepare");
            try {
                long start = System.nanoTime();
                DatasetPreparer.Summary s = CorpusPreparation.prepare(spark, tokenizer, inputs, output, validationFraction,
                        shardTokens != null ? shardTokens : DatasetPreparer.DEFAULT_SHARD_TOKENS, documentsPerPartition);
                spec.commandLine().getErr().println(String.format(Locale.ROOT,
                        "spark-prepare: %d documents -> %d train tokens (%d shards), %d validation tokens (%d shards) in %s, %.1f s",
                        s.documents(), s.trainTokens(), s.trainShards(), s.validationTokens(), s.validationShards(), output,
                        (System.nanoTime() - start) / 1e9));
            } finally {
                spark.stop();
            }
            return 0;
        }
    }
}
