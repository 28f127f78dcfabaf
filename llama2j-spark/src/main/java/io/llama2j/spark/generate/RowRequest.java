package io.llama2j.spark.generate;

import io.llama2j.chat.Message;
import io.llama2j.chat.Role;
import org.apache.spark.sql.Row;

import java.util.ArrayList;
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

    /** Why a row cannot be decoded. */
    static final class InvalidRow extends Exception {
        InvalidRow(String reason) { super(reason, null, false, false); }
    }

    /** Longest excerpt of a corrupt input line quoted in an error. */
    private static final int QUOTE_LIMIT = 200;

    /** Reads {@code row}; {@code columns} maps column names to their index in the row. */
    static RowRequest read(Row row, Map<String, Integer> columns) throws InvalidRow {
        Object corrupt = value(row, columns, BatchColumns.CORRUPT_RECORD);
        if (corrupt != null) {
            String line = corrupt.toString();
            throw new InvalidRow("malformed input record: " + (line.length() > QUOTE_LIMIT ? line.substring(0, QUOTE_LIMIT) + "..." : line));
        }
        Object id = value(row, columns, BatchColumns.ID);
        if (id == null) throw new InvalidRow("missing \"" + BatchColumns.ID + "\"");
        Object prompt = value(row, columns, BatchColumns.PROMPT);
        Object messages = value(row, columns, BatchColumns.MESSAGES);
        if (prompt != null && messages != null) {
            throw new InvalidRow("both \"" + BatchColumns.PROMPT + "\" and \"" + BatchColumns.MESSAGES + "\" are set; give one");
        }
        if (prompt == null && messages == null) {
            throw new InvalidRow("neither \"" + BatchColumns.PROMPT + "\" nor \"" + BatchColumns.MESSAGES + "\" is set");
        }
        if (prompt != null && !(prompt instanceof String)) {
            throw new InvalidRow("\"" + BatchColumns.PROMPT + "\" must be a string, found " + describe(prompt));
        }
        Long seed = wholeNumber(value(row, columns, BatchColumns.SEED), BatchColumns.SEED, Long.MIN_VALUE, Long.MAX_VALUE);
        Long maxTokens = wholeNumber(value(row, columns, BatchColumns.MAX_TOKENS), BatchColumns.MAX_TOKENS, 0, Integer.MAX_VALUE);
        Float temperature = temperature(value(row, columns, BatchColumns.TEMPERATURE));
        return new RowRequest(id.toString(), (String) prompt, messages == null ? null : dialog(messages), seed,
                maxTokens == null ? null : maxTokens.intValue(), temperature);
    }

    private static Object value(Row row, Map<String, Integer> columns, String name) {
        Integer index = columns.get(name);
        return index == null || row.isNullAt(index) ? null : row.get(index);
    }

    private static List<Message> dialog(Object value) throws InvalidRow {
        String expected = "\"" + BatchColumns.MESSAGES + "\" must be an array of {\"role\", \"content\"} objects";
        List<?> items = switch (value) {
            case List<?> list -> list;
            case scala.collection.Seq<?> seq -> scala.jdk.javaapi.CollectionConverters.asJava(seq);
            default -> throw new InvalidRow(expected + ", found " + describe(value));
        };
        if (items.isEmpty()) throw new InvalidRow("\"" + BatchColumns.MESSAGES + "\" is empty");
        List<Message> dialog = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            if (!(items.get(i) instanceof Row message)) throw new InvalidRow(expected + ", found " + describe(items.get(i)) + " at " + i);
            List<String> fields = List.of(message.schema().fieldNames());
            if (!fields.contains("role") || !fields.contains("content")) throw new InvalidRow(expected + ", message " + i + " has " + fields);
            Object role = message.get(message.fieldIndex("role"));
            Object content = message.get(message.fieldIndex("content"));
            if (!(role instanceof String r) || !(content instanceof String c)) {
                throw new InvalidRow("message " + i + ": role and content must be strings, found " + describe(role) + " and " + describe(content));
            }
            try {
                dialog.add(new Message(Role.fromWireName(r), c));
            } catch (IllegalArgumentException e) {
                throw new InvalidRow("message " + i + ": " + e.getMessage());
            }
        }
        return dialog;
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
            default -> throw new InvalidRow("\"" + column + "\" must be a whole number, found " + describe(value));
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
            default -> throw new InvalidRow("\"" + BatchColumns.TEMPERATURE + "\" must be a number, found " + describe(value));
        }
        if (!(t >= 0) || Double.isInfinite(t)) {
            throw new InvalidRow("\"" + BatchColumns.TEMPERATURE + "\" must be a finite number >= 0, found " + t);
        }
        return (float) t;
    }

    private static String describe(Object value) {
        return value == null ? "null" : value.getClass().getSimpleName() + " " + value;
    }
}
