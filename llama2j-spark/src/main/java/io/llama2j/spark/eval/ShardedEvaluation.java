package io.llama2j.spark.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llama2j.eval.EvalReport;
import io.llama2j.eval.EvalTask;
import io.llama2j.eval.Evaluator;
import io.llama2j.eval.ItemResult;
import io.llama2j.eval.TaskReader;
import io.llama2j.loading.LoadedModel;
import io.llama2j.model.Llama;
import io.llama2j.spark.ModelCache;
import io.llama2j.tensor.Parallel;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * {@code llama2j eval} with the items spread over Spark executors. The driver reads the task
 * and draws every item's few-shot examples ({@link Evaluator#fewShotPlan}: one generator in item
 * order, as a single run draws them); executors score their items with
 * {@link Evaluator#evaluateItem} on the model they load once ({@link ModelCache}); the driver
 * merges the per-item results with {@link Evaluator#report}. The report, its table and its JSON
 * file are therefore those of {@code llama2j eval}, whatever the partitioning. Spark keeps only
 * the successful attempt of a retried task, so every item counts once.
 */
public final class ShardedEvaluation {
    private static final String INDEX = "index";
    private static final String SHOTS = "shots";
    private static final String METRICS = "metrics";
    private static final String DETAILS = "details";
    private static final StructType ITEMS = DataTypes.createStructType(List.of(
            DataTypes.createStructField(INDEX, DataTypes.IntegerType, false),
            DataTypes.createStructField(SHOTS, DataTypes.createArrayType(DataTypes.IntegerType, false), false)));
    private static final StructType RESULTS = DataTypes.createStructType(List.of(
            DataTypes.createStructField(INDEX, DataTypes.IntegerType, false),
            DataTypes.createStructField(METRICS, DataTypes.createArrayType(DataTypes.DoubleType, false), false),
            DataTypes.createStructField(DETAILS, DataTypes.StringType, false)));
    private static final ObjectMapper JSON = new ObjectMapper();

    private ShardedEvaluation() {}

    /** The report of the task in {@code settings} on its model, with the items in {@code partitions} Spark partitions. */
    public static EvalReport run(SparkSession spark, EvalJobSettings settings, int partitions) throws IOException {
        if (partitions < 1) throw new IllegalArgumentException("partitions must be at least 1, found " + partitions);
        EvalTask task = TaskReader.parse(settings.taskName(), settings.taskText(), settings.format());
        LoadedModel model = ModelCache.get(settings.model(), settings.tokenizer());
        try (Parallel parallel = new Parallel(1)) {
            Evaluator planner = evaluator(model, settings, parallel);
            int[][] plan = planner.fewShotPlan(task);
            List<Row> items = new ArrayList<>(plan.length);
            for (int i = 0; i < plan.length; i++) items.add(RowFactory.create(i, java.util.Arrays.stream(plan[i]).boxed().toArray(Integer[]::new)));
            Dataset<Row> shards = spark.createDataFrame(items, ITEMS).repartition(Math.min(partitions, Math.max(1, plan.length)));
            List<Row> scored = shards.mapPartitions(new PartitionEvaluator(settings), Encoders.row(RESULTS)).collectAsList();
            List<ItemResult> results = new ArrayList<>(scored.size());
            for (Row r : scored) {
                List<Double> metrics = r.getList(r.fieldIndex(METRICS));
                results.add(new ItemResult(r.getInt(r.fieldIndex(INDEX)), metrics, details(r.getString(r.fieldIndex(DETAILS)))));
            }
            return planner.report(settings.taskName(), task, results);
        }
    }

    private static Evaluator evaluator(LoadedModel model, EvalJobSettings settings, Parallel parallel) {
        return new Evaluator(new Llama(model.config(), model.weights(), parallel), model.tokenizer(), settings.evalSettings());
    }

    /** An item's details, back from the JSON they crossed the cluster in (numbers, strings, lists: the JSON file's values). */
    private static LinkedHashMap<String, Object> details(String json) {
        try {
            return JSON.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() {});
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an executor returned unreadable item details: " + e.getOriginalMessage(), e);
        }
    }

    /** Scores one partition's items on an executor. */
    private record PartitionEvaluator(EvalJobSettings settings) implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> items) throws IOException {
            EvalTask task = TaskReader.parse(settings.taskName(), settings.taskText(), settings.format());
            Parallel parallel = new Parallel(settings.threadsPerTask());
            List<Row> results = new ArrayList<>();
            try {
                Evaluator evaluator = evaluator(ModelCache.get(settings.model(), settings.tokenizer()), settings, parallel);
                while (items.hasNext()) {
                    Row item = items.next();
                    List<Integer> shots = item.getList(item.fieldIndex(SHOTS));
                    ItemResult r = evaluator.evaluateItem(task, item.getInt(item.fieldIndex(INDEX)),
                            shots.stream().mapToInt(Integer::intValue).toArray());
                    results.add(RowFactory.create(r.index(), r.metricValues().toArray(Double[]::new), JSON.writeValueAsString(r.details())));
                }
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            } finally {
                parallel.close();
            }
            return results.iterator();
        }
    }
}
