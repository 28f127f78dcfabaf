package io.llama2j.train.sft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llama2j.chat.Message;
import io.llama2j.chat.Role;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * SFT data as JSON lines. Each line is a conversation {@code {"messages": [{"role":
 * "system|user|assistant", "content": "..."}, ...]}}, optionally with a per-message
 * {@code "train": false} that keeps that assistant answer out of the loss (GAtt's earlier turns,
 * paper §3.3). Self-Instruct task lines ({@code {"instruction", "instances": [{"input",
 * "output"}]}}) are read as one user/assistant exchange per instance.
 */
public final class Conversations {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One conversation: its messages and, per message, whether it is trained on (assistant answers only). */
    public record Conversation(List<Message> messages, List<Boolean> trained) {
        public Conversation {
            messages = List.copyOf(messages);
            trained = List.copyOf(trained);
            if (messages.size() != trained.size()) throw new IllegalArgumentException("one train flag per message");
        }

        /** Every assistant answer trained on (plain SFT). */
        public static Conversation of(List<Message> messages) {
            return new Conversation(messages, messages.stream().map(m -> m.role() == Role.ASSISTANT).toList());
        }
    }

    private Conversations() {}

    public static List<Conversation> read(Path file) throws IOException {
        List<Conversation> out = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) continue;
                try {
                    out.addAll(parse(JSON.readTree(line)));
                } catch (IOException | IllegalArgumentException e) {
                    throw new IOException(file + ":" + number + ": " + e.getMessage(), e);
                }
            }
        }
        if (out.isEmpty()) throw new IOException(file + ": no conversations (expected JSON lines with \"messages\")");
        return out;
    }

    static List<Conversation> parse(JsonNode node) {
        if (node == null || !node.isObject()) throw new IllegalArgumentException("expected a JSON object");
        if (node.has("messages")) return List.of(conversation(node.get("messages")));
        if (node.has("instruction") && node.has("instances")) {
            List<Conversation> out = new ArrayList<>();
            String instruction = node.get("instruction").asText();
            for (JsonNode instance : node.get("instances")) {
                String input = instance.path("input").asText("");
                String user = input.isBlank() ? instruction : instruction + "\n\n" + input;
                out.add(Conversation.of(List.of(Message.user(user), Message.assistant(instance.path("output").asText("")))));
            }
            return out;
        }
        throw new IllegalArgumentException("expected \"messages\" (or Self-Instruct's \"instruction\" and \"instances\"), found fields "
                + iterableToString(node.fieldNames()));
    }

    private static Conversation conversation(JsonNode messages) {
        if (!messages.isArray() || messages.isEmpty()) throw new IllegalArgumentException("\"messages\" must be a non-empty list");
        List<Message> list = new ArrayList<>();
        List<Boolean> trained = new ArrayList<>();
        for (JsonNode m : messages) {
            if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                throw new IllegalArgumentException("each message needs a text \"role\" and \"content\", found " + m);
            }
            Role role = Role.fromWireName(m.get("role").asText());
            list.add(new Message(role, m.get("content").asText()));
            trained.add(role == Role.ASSISTANT && m.path("train").asBoolean(true));
        }
        if (list.getLast().role() != Role.ASSISTANT) {
            throw new IllegalArgumentException("a training conversation must end with an assistant message, the last is "
                    + list.getLast().role().wireName());
        }
        return new Conversation(list, trained);
    }

    /** Writes conversations in the format {@link #read} reads ("train": false where an answer is not trained on). */
    public static void write(Writer out, Conversation c) throws IOException {
        var root = JSON.createObjectNode();
        var messages = root.putArray("messages");
        for (int i = 0; i < c.messages().size(); i++) {
            Message m = c.messages().get(i);
            var node = messages.addObject().put("role", m.role().wireName()).put("content", m.content());
            if (m.role() == Role.ASSISTANT && !c.trained().get(i)) node.put("train", false);
        }
        out.write(JSON.writeValueAsString(root));
        out.write('\n');
    }

    private static String iterableToString(java.util.Iterator<String> it) {
        List<String> names = new ArrayList<>();
        it.forEachRemaining(names::add);
        return names.toString();
    }
}
