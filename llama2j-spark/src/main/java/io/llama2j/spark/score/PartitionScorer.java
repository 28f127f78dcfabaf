package io.llama2j.spark.score;

import io.llama2j.chat.ChatFormat;
import io.llama2j.chat.Message;
import io.llama2j.spark.ModelCache;
import io.llama2j.spark.RowFields;
import io.llama2j.spark.RowFields.InvalidRow;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.reward.RewardModel;
import io.llama2j.train.reward.RewardScoreFile;
import io.llama2j.train.reward.TrainedRewardModel;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Scores one partition on an executor: the reward model comes from the JVM's
 * {@link ModelCache}, rows are scored one at a time as Spark's writer pulls them. The task's
 * {@link RewardModel} (activation buffers) is planned for the longest row seen so far, grown by
 * doubling, so a partition of short rows never holds buffers for the whole context. A row that
 * cannot be scored becomes an error row; anything else fails the task, and Spark retries it.
 */
final class PartitionScorer implements MapPartitionsFunction<Row, Row> {
    /** Shortest plan of a task's reward model, in tokens (re-planning below it is not worth it). */
    static final int MIN_PLANNED_TOKENS = 64;

    private final StructType inputSchema;
    private final ScoringJobSettings settings;

    PartitionScorer(StructType inputSchema, ScoringJobSettings settings) {
        this.inputSchema = inputSchema;
        this.settings = settings;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        TrainedRewardModel model = ModelCache.reward(settings.rewardModel(), settings.tokenizer());
        Parallel parallel = new Parallel(settings.threadsPerTask());
        TaskContext task = TaskContext.get();
        if (task != null) task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) context -> parallel.close());
        RowScorer scorer = new RowScorer(model, parallel, ScoreColumns.Layout.of(inputSchema));
        Map<String, Integer> columns = new HashMap<>();
        String[] names = inputSchema.fieldNames();
        for (int i = 0; i < names.length; i++) columns.put(names[i], i);
        Integer corrupt = columns.get(RowFields.CORRUPT_RECORD);

        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                boolean more = input.hasNext();
                if (!more && task == null) parallel.close();
                return more;
            }

            @Override
            public Row next() {
                if (!input.hasNext()) throw new NoSuchElementException();
                Row row = input.next();
                Object[] result = scorer.score(row, columns);
                int kept = names.length - (corrupt == null ? 0 : 1);
                Object[] values = new Object[kept + result.length];
                for (int i = 0, k = 0; i < names.length; i++) {
                    if (corrupt == null || i != corrupt) values[k++] = row.get(i);
                }
                System.arraycopy(result, 0, values, kept, result.length);
                return RowFactory.create(values);
            }
        };
    }

    /** The scoring of one row, as the values of the layout's result columns ({@link ScoreColumns}). */
    static final class RowScorer {
        private final TrainedRewardModel model;
        private final Parallel parallel;
        private final ScoreColumns.Layout layout;
        private final ChatFormat format;
        private RewardModel planned;

        RowScorer(TrainedRewardModel model, Parallel parallel, ScoreColumns.Layout layout) {
            this.model = model;
            this.parallel = parallel;
            this.layout = layout;
            this.format = model.chatFormat();
        }

        Object[] score(Row row, Map<String, Integer> columns) {
            Double single = null, chosen = null, rejected = null;
            try {
                RowFields.requireParsed(row, columns);
                List<Message> prompt = prompt(row, columns);
                String response = RowFields.string(row, columns, ScoreColumns.RESPONSE);
                String chosenText = RowFields.string(row, columns, ScoreColumns.CHOSEN);
                String rejectedText = RowFields.string(row, columns, ScoreColumns.REJECTED);
                if (response != null && (chosenText != null || rejectedText != null)) {
                    throw new InvalidRow("give either \"" + ScoreColumns.RESPONSE + "\" or \"" + ScoreColumns.CHOSEN + "\" and \""
                            + ScoreColumns.REJECTED + "\", not both");
                }
                if (response != null) {
                    single = score(prompt, response);
                } else if (chosenText != null && rejectedText != null) {
                    chosen = score(prompt, chosenText);
                    rejected = score(prompt, rejectedText);
                } else {
                    throw new InvalidRow("expected \"" + ScoreColumns.RESPONSE + "\", or \"" + ScoreColumns.CHOSEN + "\" and \""
                            + ScoreColumns.REJECTED + "\"");
                }
            } catch (InvalidRow e) {
                return values(null, null, null, e.getMessage());
            }
            return values(single, chosen, rejected, null);
        }

        /** As {@code reward-score} reads it: a prompt string is one user turn. */
        private static List<Message> prompt(Row row, Map<String, Integer> columns) throws InvalidRow {
            String prompt = RowFields.string(row, columns, ScoreColumns.PROMPT);
            Object messages = RowFields.value(row, columns, ScoreColumns.MESSAGES);
            if ((prompt == null) == (messages == null)) {
                throw new InvalidRow("expected exactly one of \"" + ScoreColumns.MESSAGES + "\" or \"" + ScoreColumns.PROMPT + "\"");
            }
            return prompt != null ? List.of(Message.user(prompt)) : RowFields.dialog(messages, ScoreColumns.MESSAGES);
        }

        private double score(List<Message> prompt, String response) throws InvalidRow {
            int[] ids;
            try {
                ids = RewardScoreFile.encode(format, prompt, response, model.contextLength()).ids();
            } catch (IllegalArgumentException e) {
                throw new InvalidRow(e.getMessage());
            }
            if (planned == null || planned.seqLen() < ids.length) {
                int previous = planned == null ? MIN_PLANNED_TOKENS / 2 : planned.seqLen();
                int tokens = (int) Math.min(model.contextLength(), Math.max(ids.length, 2L * previous));
                planned = new RewardModel(model.backbone(), model.head(), 1, tokens, parallel);
            }
            return planned.score(ids);
        }

        private Object[] values(Double single, Double chosen, Double rejected, String error) {
            Object[] out = new Object[(layout.single() ? 1 : 0) + (layout.pairs() ? 3 : 0) + 1];
            int k = 0;
            if (layout.single()) out[k++] = single;
            if (layout.pairs()) {
                out[k++] = chosen;
                out[k++] = rejected;
                out[k++] = chosen == null ? null : chosen > rejected;
            }
            out[k] = error;
            return out;
        }
    }
}
