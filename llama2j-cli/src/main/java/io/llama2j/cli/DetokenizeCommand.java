package io.llama2j.cli;

import io.llama2j.hub.ModelResolver;
import io.llama2j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code llama2j detokenize}: token ids back to text, as SentencePiece decodes them. */
@Command(name = "detokenize", mixinStandardHelpOptions = true,
        description = "Prints the text of the token IDS (or of the ids on stdin, separated by spaces or commas).")
final class DetokenizeCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE",
            description = "tokenizer.model, tokenizer.bin, tokenizer.json, a GGUF model, or a folder with one")
    Path model;

    @Parameters(arity = "0..*", paramLabel = "IDS", description = "token ids (default: stdin)")
    List<String> ids = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        List<String> words = ids;
        if (words.isEmpty()) {
            String stdin = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
            words = List.of(stdin.replaceAll("[\\[\\],]", " ").trim().split("\\s+"));
        }
        Tokenizer tokenizer = Tokenizer.load(ModelResolver.resolve(model));
        int[] parsed = words.stream().filter(w -> !w.isBlank()).mapToInt(DetokenizeCommand::parseId).toArray();
        spec.commandLine().getOut().println(tokenizer.decode(parsed));
        spec.commandLine().getOut().flush();
        return 0;
    }

    private static int parseId(String word) {
        try {
            return Integer.parseInt(word.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + word + "\" is not a token id (expected an integer)");
        }
    }
}
