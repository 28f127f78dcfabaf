package io.llama2j.eval;

import java.util.List;
import java.util.Map;

/**
 * One evaluated item ({@link Evaluator#evaluateItem}): what a shard of a task returns, so that
 * shards scored apart (on Spark executors) aggregate to the same report as one run.
 *
 * @param index        the item's index in the task file
 * @param metricValues its value of each of the task's metrics, in {@link Evaluator#metricNames} order
 * @param details      what the model chose or wrote, for the JSON results file (JSON-ready values)
 */
public record ItemResult(int index, List<Double> metricValues, Map<String, Object> details) {
    public ItemResult {
        if (index < 0) throw new IllegalArgumentException("item index must be >= 0, found " + index);
        metricValues = List.copyOf(metricValues);
    }
}
