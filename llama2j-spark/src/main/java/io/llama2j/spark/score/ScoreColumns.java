package io.llama2j.spark.score;

import io.llama2j.spark.RowFields;
import io.llama2j.train.reward.RewardScoreFile;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/**
 * The column contract of reward scoring, the fields of {@code llama2j reward-score}
 * ({@link RewardScoreFile}). Input: {@code prompt} (one user turn) or {@code messages}
 * ([{role, content}] ending with the user), and either {@code response} or {@code chosen} and
 * {@code rejected}; any other columns are kept. Output: the input columns, then {@code score}
 * (when the input has a response column), {@code chosen_score}, {@code rejected_score} and
 * {@code chosen_wins} (when it has chosen/rejected columns), and {@code error} (null unless the
 * row could not be scored; its scores are then null).
 */
public final class ScoreColumns {
    public static final String PROMPT = "prompt";
    public static final String MESSAGES = "messages";
    public static final String RESPONSE = RewardScoreFile.RESPONSE;
    public static final String CHOSEN = RewardScoreFile.CHOSEN;
    public static final String REJECTED = RewardScoreFile.REJECTED;

    public static final String SCORE = RewardScoreFile.SCORE;
    public static final String CHOSEN_SCORE = RewardScoreFile.CHOSEN_SCORE;
    public static final String REJECTED_SCORE = RewardScoreFile.REJECTED_SCORE;
    public static final String CHOSEN_WINS = RewardScoreFile.CHOSEN_WINS;
    public static final String ERROR = "error";

    private ScoreColumns() {}

    /** Which result columns a table gets: a single score, pair scores, or both (a file that mixes the two). */
    record Layout(boolean single, boolean pairs) {
        static Layout of(StructType input) {
            List<String> names = List.of(input.fieldNames());
            if (!names.contains(PROMPT) && !names.contains(MESSAGES)) {
                throw new IllegalArgumentException("the input needs a \"" + PROMPT + "\" or a \"" + MESSAGES + "\" column; found " + names);
            }
            boolean single = names.contains(RESPONSE), pairs = names.contains(CHOSEN) || names.contains(REJECTED);
            if (!single && !pairs) {
                throw new IllegalArgumentException("the input needs a \"" + RESPONSE + "\" column, or \"" + CHOSEN + "\" and \""
                        + REJECTED + "\" columns; found " + names);
            }
            return new Layout(single, pairs);
        }

        List<StructField> resultFields() {
            List<StructField> fields = new ArrayList<>();
            if (single) fields.add(DataTypes.createStructField(SCORE, DataTypes.DoubleType, true));
            if (pairs) {
                fields.add(DataTypes.createStructField(CHOSEN_SCORE, DataTypes.DoubleType, true));
                fields.add(DataTypes.createStructField(REJECTED_SCORE, DataTypes.DoubleType, true));
                fields.add(DataTypes.createStructField(CHOSEN_WINS, DataTypes.BooleanType, true));
            }
            fields.add(DataTypes.createStructField(ERROR, DataTypes.StringType, true));
            return fields;
        }
    }

    /**
     * The output schema for {@code input}: its columns (without Spark's corrupt-record column,
     * whose content moves into {@code error}) followed by the result columns.
     *
     * @throws IllegalArgumentException when the input lacks the prompt or the response columns, or
     *                                  already has a result column
     */
    public static StructType outputSchema(StructType input) {
        List<String> names = List.of(input.fieldNames());
        List<StructField> fields = new ArrayList<>();
        for (StructField f : input.fields()) {
            if (!f.name().equals(RowFields.CORRUPT_RECORD)) fields.add(f);
        }
        for (StructField f : Layout.of(input).resultFields()) {
            if (names.contains(f.name())) {
                throw new IllegalArgumentException("the input already has a \"" + f.name() + "\" column, which scoring writes");
            }
            fields.add(f);
        }
        return DataTypes.createStructType(fields);
    }
}
