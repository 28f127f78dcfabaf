package io.llama2j.train.reward;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llama2j.chat.ChatFormat;
import io.llama2j.chat.EncodedDialog;
import io.llama2j.chat.Message;
import io.llama2j.chat.Role;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Preference data in JSONL, one pair per line:
 * {@code {"messages":[{"role":"user","content":...},...] | "prompt":"...", "chosen":"...",
 * "rejected":"...", "rating":"significantly_better|better|slightly_better|negligibly_better"}}.
 * The prompt (previous turns included, ending with the user) plus each response is formatted
 * with {@link ChatFormat} as a finished conversation; the final response's tokens (and EOS)
 * are the answer mask. Lines are validated one by one; errors name the file and line.
 */
public final class PreferenceData {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PreferenceData() {}

    /** A prompt as messages ending with the user: from "messages" or "prompt". */
    public static List<Message> prompt(JsonNode line) {
        JsonNode messages = line.get("messages");
        JsonNode prompt = line.get("prompt");
        if ((messages == null) == (prompt == null)) {
            throw new IllegalArgumentException("expected exactly one of \"messages\" (array) or \"prompt\" (string)");
        }
        if (prompt != null) {
            if (!prompt.isTextual()) throw new IllegalArgumentException("\"prompt\" must be a string, found " + prompt.getNodeType());
            return List.of(Message.user(prompt.asText()));
        }
        if (!messages.isArray() || messages.isEmpty()) {
            throw new IllegalArgumentException("\"messages\" must be a non-empty array of {role, content}");
        }
        List<Message> out = new ArrayList<>();
        for (JsonNode m : messages) {
            out.add(new Message(Role.fromWireName(text(m, "role")), text(m, "content")));
        }
        return out;
    }

    public static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("expected a string \"" + field + "\", found " + (v == null ? "none" : v.getNodeType()));
        }
        return v.asText();
    }

    /** Prompt + response as token ids with the response's tokens marked. */
    public static EncodedDialog encodeResponse(ChatFormat format, List<Message> prompt, String response) {
        int promptLength = format.encodePrompt(prompt).length();
        List<Message> dialog = new ArrayList<>(prompt);
        dialog.add(Message.assistant(response));
        EncodedDialog full = format.encodeConversation(dialog);
        boolean[] answer = full.answerMask().clone();
        for (int i = 0; i < Math.min(promptLength, answer.length); i++) answer[i] = false; // earlier turns are context
        return new EncodedDialog(full.ids(), answer, full.specialTags());
    }

    /** Reads and encodes every pair of {@code file}; pairs longer than {@code maxTokens} are refused. */
    public static List<EncodedPreference> read(Path file, ChatFormat format, int maxTokens) throws IOException {
        List<EncodedPreference> pairs = new ArrayList<>();
        forEachObject(file, node -> {
            List<Message> prompt = prompt(node);
            PreferenceRating rating = PreferenceRating.parse(text(node, "rating"));
            EncodedDialog chosen = encodeResponse(format, prompt, text(node, "chosen"));
            EncodedDialog rejected = encodeResponse(format, prompt, text(node, "rejected"));
            int longest = Math.max(chosen.length(), rejected.length());
            if (longest > maxTokens) {
                throw new IllegalArgumentException("the pair takes " + longest + " tokens, more than the sequence length "
                        + maxTokens + " (raise --seq or shorten the pair)");
            }
            pairs.add(new EncodedPreference(chosen.ids(), chosen.answerMask(), rejected.ids(), rejected.answerMask(), rating));
        });
        if (pairs.isEmpty()) throw new IllegalArgumentException(file + ": no preference pairs");
        return pairs;
    }

    /** What to do with one line's JSON object; an exception names the line. */
    @FunctionalInterface
    interface ObjectLine {
        void accept(ObjectNode line) throws IOException;
    }

    /**
     * Hands every non-blank line of the JSONL {@code file} to {@code each} as a JSON object; any
     * malformed line fails the whole file with an IllegalArgumentException naming the file and line.
     */
    static void forEachObject(Path file, ObjectLine each) throws IOException {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) continue;
                try {
                    JsonNode node = JSON.readTree(line);
                    if (node == null || !node.isObject()) throw new IllegalArgumentException("expected a JSON object");
                    each.accept((ObjectNode) node);
                } catch (IOException | IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + ":" + number + ": " + e.getMessage(), e);
                }
            }
        }
    }
}
