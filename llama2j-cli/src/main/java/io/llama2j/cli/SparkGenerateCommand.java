package io.llama2j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code llama2j spark-generate}: batch generation on Apache Spark, run in a child JVM with the
 * llama2j-spark module's class path ({@link SparkJobLauncher}). Every argument goes to the job;
 * {@code llama2j spark-generate --help} lists them.
 * Example: {@code llama2j spark-generate --master local[2] --input prompts.jsonl --output out -m stories260K.bin -z tok512.bin --seed 1}
 */
@Command(name = "spark-generate",
        description = {"Batch generation on Apache Spark: JSONL/Parquet rows (id, prompt or messages) in, completions out.",
                "Runs io.llama2j.spark.SparkMain generate in a child JVM; see --help for its options."})
public final class SparkGenerateCommand implements Callable<Integer> {
    @Unmatched
    List<String> arguments = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        return SparkJobLauncher.run("generate", arguments);
    }
}
