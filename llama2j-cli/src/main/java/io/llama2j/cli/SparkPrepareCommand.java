package io.llama2j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code llama2j spark-prepare}: {@code llama2j prepare} with the tokenization on Apache Spark
 * (the same shards, byte for byte), run in a child JVM ({@link SparkJobLauncher}).
 */
@Command(name = "spark-prepare",
        description = {"`prepare` with the tokenization on Apache Spark; the same shards, byte for byte.",
                "Runs io.llama2j.spark.SparkMain prepare in a child JVM; see --help for its options."})
public final class SparkPrepareCommand implements Callable<Integer> {
    @Unmatched
    List<String> arguments = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        return SparkJobLauncher.run("prepare", arguments);
    }
}
