package io.llama2j.cli;

import io.llama2j.hub.ModelResolver;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llama2j.chat.ChatFormat;
import io.llama2j.chat.EncodedDialog;
import io.llama2j.chat.Message;
import io.llama2j.chat.Role;
import io.llama2j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code llama2j tokenize}: text to token ids (or pieces), plain, JSON lines or Llama 2 chat dialogs. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Prints the token ids of TEXT (or of stdin, read exactly, final newline included).",
                "--jsonl: every stdin line is a JSON string, every output line a JSON array of ids.",
                "--chat: every stdin line is a JSON array of {\"role\", \"content\"} messages, every output line "
                        + "the ids of Meta's Llama 2 chat encoding."})
final class TokenizeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE",
            description = "tokenizer.model, tokenizer.bin, tokenizer.json, a GGUF model, or a folder with one")
    Path model;

    @Option(names = "--no-bos", description = "do not start with BOS")
    boolean noBos;

    @Option(names = "--eos", description = "end with EOS")
    boolean eos;

    @Option(names = "--pieces", description = "print the pieces instead of the ids")
    boolean pieces;

    @Option(names = "--jsonl", description = "stdin lines are JSON strings; prints a JSON array per line")
    boolean jsonl;

    @Option(names = "--chat", description = "stdin lines are JSON arrays of chat messages; prints a JSON array per line")
    boolean chat;

    @Parameters(arity = "0..1", paramLabel = "TEXT", description = "the text (default: stdin)")
    String text;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (jsonl && chat) throw new IllegalArgumentException("--jsonl and --chat cannot be combined");
        if ((jsonl || chat) && text != null) {
            throw new IllegalArgumentException((jsonl ? "--jsonl" : "--chat") + " reads stdin; do not give TEXT");
        }
        Tokenizer tokenizer = Tokenizer.load(ModelResolver.resolve(model));
        PrintWriter out = spec.commandLine().getOut();
        if (!jsonl && !chat) {
            String input = text != null ? text : new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
            int[] ids = tokenizer.encode(input, !noBos, eos);
            out.println(pieces ? Arrays.stream(ids).mapToObj(tokenizer::piece).collect(Collectors.joining(" "))
                    : Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
            out.flush();
            return 0;
        }
        ChatFormat format = new ChatFormat(tokenizer);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        int lineNumber = 0;
        for (String line; (line = in.readLine()) != null; ) {
            lineNumber++;
            JsonNode node = parse(line, lineNumber);
            int[] ids;
            if (jsonl) {
                if (!node.isTextual()) throw lineError(lineNumber, "expected a JSON string, found " + node.getNodeType());
                ids = tokenizer.encode(node.asText(), !noBos, eos);
            } else {
                EncodedDialog dialog;
                try {
                    dialog = format.encode(messages(node, lineNumber));
                } catch (IllegalArgumentException e) {
                    throw lineError(lineNumber, e.getMessage());
                }
                if (dialog.hasSpecialTags()) {
                    spec.commandLine().getErr().println("llama2j tokenize: stdin line " + lineNumber
                            + ": contents contain the chat tags " + dialog.specialTags()
                            + " (Meta's chat_completion refuses such prompts)");
                }
                ids = dialog.ids();
            }
            out.println(pieces ? JSON.writeValueAsString(Arrays.stream(ids).mapToObj(tokenizer::piece).toList())
                    : JSON.writeValueAsString(ids));
        }
        out.flush();
        return 0;
    }

    private static JsonNode parse(String line, int lineNumber) {
        try {
            JsonNode node = JSON.readTree(line);
            if (node == null || node.isMissingNode()) throw lineError(lineNumber, "empty line, expected JSON");
            return node;
        } catch (JsonProcessingException e) {
            throw lineError(lineNumber, "not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static List<Message> messages(JsonNode node, int lineNumber) {
        if (!node.isArray()) throw lineError(lineNumber, "expected a JSON array of messages, found " + node.getNodeType());
        List<Message> dialog = new ArrayList<>();
        for (JsonNode m : node) {
            if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                throw lineError(lineNumber, "message " + dialog.size() + " needs string fields \"role\" and \"content\"");
            }
            dialog.add(new Message(Role.fromWireName(m.get("role").asText()), m.get("content").asText()));
        }
        return dialog;
    }

    private static IllegalArgumentException lineError(int lineNumber, String message) {
        return new IllegalArgumentException("stdin line " + lineNumber + ": " + message);
    }
}
