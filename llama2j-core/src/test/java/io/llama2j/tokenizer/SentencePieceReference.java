package io.llama2j.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * SentencePiece itself, the reference our tokenizer must equal: Debian's python3-sentencepiece
 * (the C++ library behind spm_encode, with a Python binding) run once per batch. Python is used
 * rather than spm_encode because spm_encode reads one sentence per line and so cannot encode text
 * that contains newlines. Texts and results travel as JSON lines. Missing locally: the test is
 * skipped; under CI=true it fails (run-tests installs the package).
 */
public final class SentencePieceReference {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCRIPT = """
            import json, sys
            import sentencepiece as spm
            sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
            mode = sys.argv[2]
            B_INST, E_INST = "[INST]", "[/INST]"
            B_SYS, E_SYS = "<<SYS>>\\n", "\\n<</SYS>>\\n\\n"

            def chat(dialog):
                # meta-llama/llama generation.py chat_completion, per dialog.
                if dialog[0]["role"] == "system":
                    dialog = [{"role": dialog[1]["role"],
                               "content": B_SYS + dialog[0]["content"] + E_SYS + dialog[1]["content"]}] + dialog[2:]
                tokens = []
                for prompt, answer in zip(dialog[::2], dialog[1::2]):
                    tokens += [sp.bos_id()] + sp.encode(
                        f"{B_INST} {(prompt['content']).strip()} {E_INST} {(answer['content']).strip()} ") + [sp.eos_id()]
                if dialog[-1]["role"] == "user":
                    tokens += [sp.bos_id()] + sp.encode(f"{B_INST} {(dialog[-1]['content']).strip()} {E_INST}")
                return tokens
            out = open(sys.argv[4], "w", encoding="utf-8")
            for line in open(sys.argv[3], encoding="utf-8"):
                item = json.loads(line)
                if mode == "encode":
                    out.write(json.dumps(sp.encode(item)) + "\\n")
                elif mode == "chat":
                    out.write(json.dumps(chat(item)) + "\\n")
                else:
                    out.write(json.dumps(sp.decode(item)) + "\\n")
            out.write(json.dumps(spm.__version__) + "\\n")
            """;

    private SentencePieceReference() {}

    /** SentencePiece's ids for each text (no BOS/EOS). */
    public static List<int[]> encode(Path model, List<String> texts) throws IOException, InterruptedException {
        List<String> lines = run(model, "encode", texts);
        List<int[]> ids = new ArrayList<>();
        for (String line : lines) ids.add(JSON.readValue(line, int[].class));
        return ids;
    }

    /**
     * The ids Meta's chat_completion gives each dialog (a list of {"role", "content"} maps), built
     * with SentencePiece by the same code as generation.py.
     */
    public static List<int[]> chat(Path model, List<List<java.util.Map<String, String>>> dialogs)
            throws IOException, InterruptedException {
        List<int[]> ids = new ArrayList<>();
        for (String line : run(model, "chat", dialogs)) ids.add(JSON.readValue(line, int[].class));
        return ids;
    }

    /** SentencePiece's text for each id sequence. */
    public static List<String> decode(Path model, List<int[]> idLists) throws IOException, InterruptedException {
        List<String> lines = run(model, "decode", idLists);
        List<String> texts = new ArrayList<>();
        for (String line : lines) texts.add(JSON.readValue(line, String.class));
        return texts;
    }

    private static List<String> run(Path model, String mode, List<?> items) throws IOException, InterruptedException {
        requireSentencePiece();
        Path dir = Files.createTempDirectory("spm-reference");
        try {
            Path script = dir.resolve("reference.py");
            Path input = dir.resolve("input.jsonl");
            Path output = dir.resolve("output.jsonl");
            Files.writeString(script, SCRIPT);
            StringBuilder sb = new StringBuilder();
            for (Object item : items) sb.append(JSON.writeValueAsString(item)).append('\n');
            Files.writeString(input, sb, StandardCharsets.UTF_8);
            Process p = new ProcessBuilder(PYTHON.toString(), script.toString(), model.toString(), mode,
                    input.toString(), output.toString()).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException("sentencepiece reference failed: " + log);
            }
            List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
            if (lines.size() != items.size() + 1) {
                throw new IllegalStateException("sentencepiece reference returned " + (lines.size() - 1)
                        + " results for " + items.size() + " inputs");
            }
            return lines.subList(0, items.size());
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        }
    }

    private static void requireSentencePiece() throws IOException, InterruptedException {
        boolean available = Files.isExecutable(PYTHON)
                && new ProcessBuilder(PYTHON.toString(), "-c", "import sentencepiece")
                .redirectErrorStream(true).start().waitFor() == 0;
        if (!available) {
            String message = "SentencePiece reference missing: install Debian's python3-sentencepiece (run-tests does)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) throw new AssertionError(message);
            Assumptions.abort(message);
        }
    }
}
