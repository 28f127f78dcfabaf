package io.llama2j.tokenizer;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Debian's SentencePiece command-line tools (spm_train, spm_encode, spm_decode,
 * spm_export_vocab) for differential tests. Missing tools skip the test on a developer
 * machine and fail it under CI=true (run-tests installs them), like TestData.
 */
public final class SentencePieceTools {
    private static final long TIMEOUT_SECONDS = 120;

    private SentencePieceTools() {}

    /** The path of tool {@code name} (for example "spm_encode"); skips or fails when missing. */
    public static Path tool(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        String message = name + " not found on PATH (Debian package sentencepiece; ./run-tests installs it)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(message);
        }
        Assumptions.abort(message);
        return null;
    }

    /** Runs a tool with {@code stdin} as input and returns its standard output; fails on a non-zero exit. */
    public static String run(String stdin, String toolName, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(tool(toolName).toString());
        command.addAll(List.of(args));
        Path err = Files.createTempFile("spm", ".err");
        try {
            Process process = new ProcessBuilder(command).redirectError(err.toFile()).start();
            Thread writer = Thread.ofVirtual().start(() -> {
                try (var in = process.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                } catch (IOException ignored) {
                    // the tool may exit without reading its input; its exit status says what went wrong
                }
            });
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(toolName + " did not finish in " + TIMEOUT_SECONDS + " s");
            }
            writer.join();
            if (process.exitValue() != 0) {
                throw new AssertionError(toolName + " " + String.join(" ", args) + " exited with "
                        + process.exitValue() + ": " + Files.readString(err));
            }
            return new String(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
