package io.llama2j.spark.generate;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Batch generation as a Spark transformation: every row of {@code input} ({@link BatchColumns})
 * is decoded by the engine's {@link io.llama2j.generate.Generator} on the executor that holds its
 * partition; each executor loads the model once ({@link io.llama2j.spark.ModelCache}). The result
 * keeps the input's partitioning and row order. With a job seed, a row's output depends only on
 * the row and the settings ({@link RowSeeds}), never on the partitioning. Write the result with
 * Spark's own writers so that a retried task's output is committed exactly once.
 */
public final class BatchGeneration {
    private BatchGeneration() {}

    public static Dataset<Row> generate(Dataset<Row> input, GenerationJobSettings settings) {
        return generate(input, settings, TaskHook.NONE);
    }

    /** As {@link #generate(Dataset, GenerationJobSettings)}, calling {@code hook} before each row (tests). */
    public static Dataset<Row> generate(Dataset<Row> input, GenerationJobSettings settings, TaskHook hook) {
        StructType output = BatchColumns.outputSchema(input.schema());
        return input.mapPartitions(new PartitionDecoder(input.schema(), settings, hook), Encoders.row(output));
    }
}
