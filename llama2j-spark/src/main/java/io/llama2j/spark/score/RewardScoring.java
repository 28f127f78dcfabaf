package io.llama2j.spark.score;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

/**
 * Reward scoring as a Spark transformation: {@code llama2j reward-score} over a table of
 * (prompt or messages, response | chosen + rejected) rows ({@link ScoreColumns}). Each executor
 * reads the reward model once ({@link io.llama2j.spark.ModelCache}); scores equal
 * reward-score's row by row. The result keeps the input's partitioning and row order; write it
 * with Spark's own writers so that a retried task's output is committed exactly once.
 */
public final class RewardScoring {
    private RewardScoring() {}

    public static Dataset<Row> score(Dataset<Row> input, ScoringJobSettings settings) {
        return input.mapPartitions(new PartitionScorer(input.schema(), settings), Encoders.row(ScoreColumns.outputSchema(input.schema())));
    }
}
