package io.llama2j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code llama2j spark-eval}: {@code llama2j eval} with the items sharded across Spark executors
 * (the same table and JSON), run in a child JVM ({@link SparkJobLauncher}).
 * Example: {@code llama2j spark-eval --master local[2] -m model.gguf --task hellaswag.jsonl -o results.json}
 */
@Command(name = "spark-eval",
        description = {"`eval` with the items sharded across Apache Spark executors; the same table and JSON.",
                "Runs io.llama2j.spark.SparkMain eval in a child JVM; see --help for its options."})
public final class SparkEvalCommand implements Callable<Integer> {
    @Unmatched
    List<String> arguments = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        return SparkJobLauncher.run("eval", arguments);
    }
}
