package io.llama2j.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads a task file: JSON Lines (one item per line) or one JSON list of items. Every error names
 * the file, the item (its line in JSON Lines, its index in a list) and the field.
 */
public final class TaskReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TaskReader() {}

    public static EvalTask read(Path file, TaskFormat format) throws IOException {
        return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8), format);
    }

    /** Reads a task file's {@code text}; {@code file} names it in messages (a Spark job ships the text, not the path). */
    public static EvalTask parse(String file, String text, TaskFormat format) throws IOException {
        List<Located> items = parseItems(file, text);
        if (items.isEmpty()) throw new IOException(file + ": the task file has no items");
        TaskFormat resolved = format == TaskFormat.AUTO ? detect(file, items.getFirst()) : format;
        try {
            return switch (resolved) {
                case CHOICE -> new EvalTask.MultipleChoice(map(items, TaskReader::choiceItem));
                case TRUTHFULQA -> new EvalTask.TruthfulQa(map(items, TaskReader::truthfulQaItem));
                case GENERATE -> new EvalTask.Generation(map(items, TaskReader::generationItem));
                case AUTO -> throw new IllegalStateException("unreachable");
            };
        } catch (ItemException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** An item and where it is, for messages ("line 12", "item 3"). */
    private record Located(JsonNode node, String where) {}

    private static List<Located> parseItems(String file, String text) throws IOException {
        List<Located> items = new ArrayList<>();
        String trimmed = text.stripLeading();
        if (trimmed.startsWith("[")) {
            JsonNode list;
            try {
                list = JSON.readTree(trimmed);
            } catch (JsonProcessingException e) {
                throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
            }
            for (int i = 0; i < list.size(); i++) items.add(new Located(list.get(i), "item " + i));
            return items;
        }
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) continue;
            try {
                items.add(new Located(JSON.readTree(lines[i]), "line " + (i + 1)));
            } catch (JsonProcessingException e) {
                throw new IOException(file + ": line " + (i + 1) + " is not valid JSON: " + e.getOriginalMessage(), e);
            }
        }
        return items;
    }

    private static TaskFormat detect(String file, Located first) throws IOException {
        JsonNode n = first.node();
        if (n.has("mc1_targets")) return TaskFormat.TRUTHFULQA;
        if (n.has("choices")) return TaskFormat.CHOICE;
        if (n.has("question") && n.has("answer")) return TaskFormat.GENERATE;
        throw new IOException(file + ": cannot tell the task format from " + first.where() + " (fields " + fieldNames(n)
                + "): expected \"choices\" (multiple choice), \"mc1_targets\" (TruthfulQA) or \"question\" and \"answer\""
                + " (generation); or pass --format");
    }

    private static MultipleChoiceItem choiceItem(Located at) {
        JsonNode n = object(at);
        String prompt;
        if (n.hasNonNull("context")) prompt = text(at, "context");
        else if (n.hasNonNull("question")) prompt = "Question: " + text(at, "question") + "\nAnswer:";
        else throw new ItemException(at.where() + ": expected a \"context\" or \"question\" field, found " + fieldNames(n));
        JsonNode choices = n.get("choices");
        if (choices == null || !choices.isArray()) throw new ItemException(at.where() + ": \"choices\" must be a list of strings");
        List<String> texts = new ArrayList<>();
        for (JsonNode c : choices) {
            if (!c.isTextual()) throw new ItemException(at.where() + ": \"choices\" must hold strings, found " + c.getNodeType());
            texts.add(c.asText());
        }
        JsonNode answer = n.get("answer");
        if (answer == null || !answer.canConvertToInt() || !answer.isIntegralNumber()) {
            throw new ItemException(at.where() + ": \"answer\" must be the index of the right choice, found " + answer);
        }
        try {
            return new MultipleChoiceItem(prompt, texts, answer.asInt());
        } catch (IllegalArgumentException e) {
            throw new ItemException(at.where() + ": " + e.getMessage());
        }
    }

    private static TruthfulQaItem truthfulQaItem(Located at) {
        JsonNode n = object(at);
        String question = text(at, "question");
        List<String> mc1 = new ArrayList<>(), mc2 = new ArrayList<>();
        List<Boolean> mc1True = new ArrayList<>(), mc2True = new ArrayList<>();
        targets(at, n, "mc1_targets", mc1, mc1True);
        targets(at, n, "mc2_targets", mc2, mc2True);
        try {
            return new TruthfulQaItem(question, mc1, mc1True, mc2, mc2True);
        } catch (IllegalArgumentException e) {
            throw new ItemException(at.where() + ": " + e.getMessage());
        }
    }

    /** TruthfulQA's {"answer text": 0 or 1, ...}, in file order. */
    private static void targets(Located at, JsonNode n, String field, List<String> answers, List<Boolean> labels) {
        JsonNode t = n.get(field);
        if (t == null || !t.isObject() || t.isEmpty()) {
            throw new ItemException(at.where() + ": \"" + field + "\" must be an object of answer → 0/1");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = t.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int label = e.getValue().asInt(-1);
            if (!e.getValue().isIntegralNumber() || (label != 0 && label != 1)) {
                throw new ItemException(at.where() + ": \"" + field + "\" label of \"" + e.getKey() + "\" must be 0 or 1, found " + e.getValue());
            }
            answers.add(e.getKey());
            labels.add(label == 1);
        }
    }

    private static GenerationItem generationItem(Located at) {
        JsonNode n = object(at);
        JsonNode answer = n.get("answer");
        if (answer == null || !(answer.isTextual() || answer.isNumber())) {
            throw new ItemException(at.where() + ": \"answer\" must be a string or a number, found " + answer);
        }
        return new GenerationItem(text(at, "question"), answer.asText());
    }

    private static JsonNode object(Located at) {
        if (!at.node().isObject()) throw new ItemException(at.where() + ": expected a JSON object, found " + at.node().getNodeType());
        return at.node();
    }

    private static String text(Located at, String field) {
        JsonNode v = at.node().get(field);
        if (v == null || !v.isTextual()) {
            throw new ItemException(at.where() + ": \"" + field + "\" must be a string, found " + (v == null ? "nothing" : v.getNodeType()));
        }
        return v.asText();
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static <T> List<T> map(List<Located> items, java.util.function.Function<Located, T> f) {
        List<T> out = new ArrayList<>(items.size());
        for (Located item : items) out.add(f.apply(item));
        return List.copyOf(out);
    }

    /** A bad item; turned into an IOException naming the file. */
    private static final class ItemException extends RuntimeException {
        ItemException(String message) { super(message); }
    }
}
