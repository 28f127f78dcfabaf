package io.llama2j.spark.generate;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/**
 * The column contract of batch generation. Input: {@code id} and one of {@code prompt} (text,
 * encoded with BOS as {@code llama2j generate -p}) or {@code messages} (an array of
 * {role, content}, formatted as a Llama 2 chat prompt), optionally {@code seed},
 * {@code max_tokens}, {@code temperature}. Output: the input columns, then {@code completion},
 * {@code prompt_tokens}, {@code completion_tokens}, {@code finish_reason} ("stop", "length" or
 * "error") and {@code error} (null unless finish_reason is "error").
 */
public final class BatchColumns {
    public static final String ID = "id";
    public static final String PROMPT = "prompt";
    public static final String MESSAGES = "messages";
    public static final String SEED = "seed";
    public static final String MAX_TOKENS = "max_tokens";
    public static final String TEMPERATURE = "temperature";

    public static final String COMPLETION = "completion";
    public static final String PROMPT_TOKENS = "prompt_tokens";
    public static final String COMPLETION_TOKENS = "completion_tokens";
    public static final String FINISH_REASON = "finish_reason";
    public static final String ERROR = "error";

    /** Where Spark's JSON reader (PERMISSIVE mode) puts a line it cannot parse. */
    public static final String CORRUPT_RECORD = io.llama2j.spark.RowFields.CORRUPT_RECORD;

    public static final String FINISH_STOP = "stop";
    public static final String FINISH_LENGTH = "length";
    public static final String FINISH_ERROR = "error";

    private static final List<StructField> RESULT_FIELDS = List.of(
            DataTypes.createStructField(COMPLETION, DataTypes.StringType, true),
            DataTypes.createStructField(PROMPT_TOKENS, DataTypes.IntegerType, true),
            DataTypes.createStructField(COMPLETION_TOKENS, DataTypes.IntegerType, true),
            DataTypes.createStructField(FINISH_REASON, DataTypes.StringType, false),
            DataTypes.createStructField(ERROR, DataTypes.StringType, true));

    private BatchColumns() {}

    /**
     * The output schema for {@code input}: its columns (without Spark's corrupt-record column,
     * whose content moves into {@code error}) followed by the result columns.
     *
     * @throws IllegalArgumentException when the input lacks id or both prompt and messages, or
     *                                  already has a result column
     */
    public static StructType outputSchema(StructType input) {
        List<String> names = List.of(input.fieldNames());
        if (!names.contains(ID)) throw new IllegalArgumentException("the input has no \"" + ID + "\" column; found " + names);
        if (!names.contains(PROMPT) && !names.contains(MESSAGES)) {
            throw new IllegalArgumentException("the input needs a \"" + PROMPT + "\" or a \"" + MESSAGES + "\" column; found " + names);
        }
        List<StructField> fields = new ArrayList<>();
        for (StructField f : input.fields()) {
            if (!f.name().equals(CORRUPT_RECORD)) fields.add(f);
        }
        for (StructField f : RESULT_FIELDS) {
            if (names.contains(f.name())) {
                throw new IllegalArgumentException("the input already has a \"" + f.name() + "\" column, which generation writes");
            }
            fields.add(f);
        }
        return DataTypes.createStructType(fields);
    }
}
