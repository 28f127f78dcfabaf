package io.llama2j.spark;

import io.llama2j.chat.Message;
import io.llama2j.chat.Role;
import org.apache.spark.sql.Row;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reading the fields of an input row that every job shares (the corrupt-record marker, strings,
 * chat dialogs) without throwing on bad data: a malformed row becomes an error row of the
 * output with the {@link InvalidRow} reason, not a failed job.
 */
public final class RowFields {
    /** Where Spark's JSON reader (PERMISSIVE mode) puts a line it cannot parse. */
    public static final String CORRUPT_RECORD = "_corrupt_record";
    /** Longest excerpt of a corrupt input line quoted in an error. */
    private static final int QUOTE_LIMIT = 200;

    private RowFields() {}

    /** Why a row cannot be processed (the text of its error column). */
    public static final class InvalidRow extends Exception {
        public InvalidRow(String reason) { super(reason, null, false, false); }
    }

    /** The value of column {@code name}, or null when the column is absent or the value null. */
    public static Object value(Row row, Map<String, Integer> columns, String name) {
        Integer index = columns.get(name);
        return index == null || row.isNullAt(index) ? null : row.get(index);
    }

    /** Fails with the quoted line when Spark's JSON reader could not parse the row. */
    public static void requireParsed(Row row, Map<String, Integer> columns) throws InvalidRow {
        Object corrupt = value(row, columns, CORRUPT_RECORD);
        if (corrupt != null) {
            String line = corrupt.toString();
            throw new InvalidRow("malformed input record: " + (line.length() > QUOTE_LIMIT ? line.substring(0, QUOTE_LIMIT) + "..." : line));
        }
    }

    /** Column {@code name} as a string, or null when absent. */
    public static String string(Row row, Map<String, Integer> columns, String name) throws InvalidRow {
        Object value = value(row, columns, name);
        if (value != null && !(value instanceof String)) throw new InvalidRow("\"" + name + "\" must be a string, found " + describe(value));
        return (String) value;
    }

    /** A chat dialog: an array (JSON) or Seq (Parquet) of {role, content} structs. */
    public static List<Message> dialog(Object value, String column) throws InvalidRow {
        String expected = "\"" + column + "\" must be an array of {\"role\", \"content\"} objects";
        List<?> items = switch (value) {
            case List<?> list -> list;
            case scala.collection.Seq<?> seq -> scala.jdk.javaapi.CollectionConverters.asJava(seq);
            default -> throw new InvalidRow(expected + ", found " + describe(value));
        };
        if (items.isEmpty()) throw new InvalidRow("\"" + column + "\" is empty");
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

    /** A value and its type, for messages. */
    public static String describe(Object value) {
        return value == null ? "null" : value.getClass().getSimpleName() + " " + value;
    }
}
