package io.llama2j.spark.generate;

import io.llama2j.chat.Message;
import io.llama2j.spark.RowFields;
import io.llama2j.spark.RowFields.InvalidRow;
import org.apache.spark.sql.Row;

import java.util.List;
import java.util.Map;

/**
 * One input row read as a generation request, or the reason it cannot be one. Reading never
 * throws on bad data: a malformed row becomes an error row of the output, not a failed job.
 * Numbers are accepted as numbers or as numeric strings (JSON schema inference turns a column
 * into strings as soon as one line quotes it).
 *
 * @param prompt   the prompt text, or null for a chat request
 * @param messages the chat dialog, or null for a prompt request
 * @param seed     the row's explicit seed, or null to derive one ({@link RowSeeds})
 */
record RowRequest(String id, String prompt, List<Message> messages, Long seed, Integer maxTokens, Float temperature) {

    /** Reads {@code row}; {@code columns} maps column names to their index in the row. */
    static RowRequest read(Row row, Map<String, Integer> columns) throws InvalidRow {
        RowFields.requireParsed(row, columns);
        Object id = RowFields.value(row, columns, BatchColumns.ID);
        if (id == null) throw new InvalidRow("missing \"" + BatchColumns.ID + "\"");
        Object prompt = RowFields.value(row, columns, BatchColumns.PROMPT);
        Object messages = RowFields.value(row, columns, BatchColumns.MESSAGES);
        if (prompt != null && messages != null) {
            throw new InvalidRow("both \"" + BatchColumns.PROMPT + "\" and \"" + BatchColumns.MESSAGES + "\" are set; give one");
        }
        if (prompt == null && messages == null) {
            throw new InvalidRow("neither \"" + BatchColumns.PROMPT + "\" nor \"" + BatchColumns.MESSAGES + "\" is set");
        }
        if (prompt != null && !(prompt instanceof String)) {
            throw new InvalidRow("\"" + BatchColumns.PROMPT + "\" must be a string, found " + RowFields.describe(prompt));
        }
        Long seed = wholeNumber(RowFields.value(row, columns, BatchColumns.SEED), BatchColumns.SEED, Long.MIN_VALUE, Long.MAX_VALUE);
        Long maxTokens = wholeNumber(RowFields.value(row, columns, BatchColumns.MAX_TOKENS), BatchColumns.MAX_TOKENS, 0, Integer.MAX_VALUE);
        Float temperature = temperature(RowFields.value(row, columns, BatchColumns.TEMPERATURE));
        return new RowRequest(id.toString(), (String) prompt, messages == null ? null : RowFields.dialog(messages, BatchColumns.MESSAGES), seed,
                maxTokens == null ? null : maxTokens.intValue(), temperature);
    }

    private static Long wholeNumber(Object value, String column, long min, long max) throws InvalidRow {
        if (value == null) return null;
        long n;
        switch (value) {
            case Byte b -> n = b;
            case Short s -> n = s;
            case Integer i -> n = i;
            case Long l -> n = l;
            case Number d when d.doubleValue() == Math.rint(d.doubleValue()) && Math.abs(d.doubleValue()) < 0x1p63 -> n = d.longValue();
            case String s -> {
                try {
                    n = Long.parseLong(s.strip());
                } catch (NumberFormatException e) {
                    throw new InvalidRow("\"" + column + "\" must be a whole number, found \"" + s + "\"");
                }
            }
            default -> throw new InvalidRow("\"" + column + "\" must be a whole number, found " + RowFields.describe(value));
        }
        if (n < min || n > max) throw new InvalidRow("\"" + column + "\" must be in [" + min + ", " + max + "], found " + n);
        return n;
    }

    private static Float temperature(Object value) throws InvalidRow {
        if (value == null) return null;
        double t;
        switch (value) {
            case Number n -> t = n.doubleValue();
            case String s -> {
                try {
                    t = Double.parseDouble(s.strip());
                } catch (NumberFormatException e) {
                    throw new InvalidRow("\"" + BatchColumns.TEMPERATURE + "\" must be a number, found \"" + s + "\"");
                }
            }
            default -> throw new InvalidRow("\"" + BatchColumns.TEMPERATURE + "\" must be a number, found " + RowFields.describe(value));
        }
        if (!(t >= 0) || Double.isInfinite(t)) {
            throw new InvalidRow("\"" + BatchColumns.TEMPERATURE + "\" must be a finite number >= 0, found " + t);
        }
        return (float) t;
    }
}
