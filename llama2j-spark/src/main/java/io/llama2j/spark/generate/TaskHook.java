package io.llama2j.spark.generate;

import org.apache.spark.TaskContext;

import java.io.Serializable;

/**
 * Called before each row a task decodes. Jobs run with {@link #NONE}; tests pass a hook that
 * fails a task attempt part-way through a partition to check that Spark's retry neither loses
 * nor duplicates rows.
 */
@FunctionalInterface
public interface TaskHook extends Serializable {
    TaskHook NONE = (task, rowInPartition) -> {};

    /** {@code task} is null when running outside Spark; {@code rowInPartition} counts from 0. */
    void beforeRow(TaskContext task, long rowInPartition);
}
