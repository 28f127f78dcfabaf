package io.llama2j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code llama2j spark-score}: {@code llama2j reward-score} on Apache Spark (the same scores, row
 * by row), run in a child JVM ({@link SparkJobLauncher}).
 * Example: {@code llama2j spark-score --master local[2] --input answers.jsonl --output scored --reward rm/ -z tokenizer.model}
 */
@Command(name = "spark-score",
        description = {"`reward-score` on Apache Spark: JSONL/Parquet rows (prompt or messages, response or chosen and rejected) in,",
                "the same rows with scores out. Runs io.llama2j.spark.SparkMain score in a child JVM; see --help for its options."})
public final class SparkScoreCommand implements Callable<Integer> {
    @Unmatched
    List<String> arguments = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        return SparkJobLauncher.run("score", arguments);
    }
}
