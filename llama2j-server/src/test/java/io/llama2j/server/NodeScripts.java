package io.llama2j.server;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the node scripts of src/test/node (the openai client and Chromium tests) as bounded
 * subprocesses. Without node or the installed npm packages (run-tests does `npm ci`) a test is
 * skipped on a developer machine and fails under CI=true.
 */
final class NodeScripts {

    record Result(int exitCode, String output) {
    }

    private NodeScripts() {
    }

    static Path dir() {
        return Path.of("src", "test", "node").toAbsolutePath();
    }

    /** Skips (or fails under CI) unless node and the named npm packages are installed. */
    static void requireInstalled(String... packages) {
        List<String> missing = new ArrayList<>();
        if (findOnPath("node") == null) missing.add("node");
        for (String p : packages) {
            if (!Files.isDirectory(dir().resolve("node_modules").resolve(p))) missing.add("npm package " + p);
        }
        requireNothingMissing(missing, "run ./run-tests, which installs them (npm ci in " + dir() + ")");
    }

    static void requireNothingMissing(List<String> missing, String hint) {
        if (missing.isEmpty()) return;
        String message = "missing " + String.join(", ", missing) + ": " + hint;
        if ("true".equalsIgnoreCase(System.getenv("CI"))) throw new AssertionError(message);
        Assumptions.abort(message);
    }

    static Path findOnPath(String program) {
        for (String entry : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(entry, program);
            if (Files.isExecutable(candidate)) return candidate;
        }
        return null;
    }

    /** Runs {@code node script args...}; kills it after {@code timeoutSeconds}. */
    static Result run(String script, Map<String, String> env, long timeoutSeconds, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("node", script));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir().toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        Path log = Files.createTempFile("llama2j-node-", ".log");
        builder.redirectOutput(log.toFile());
        Process process = builder.start();
        try {
            boolean done = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!done) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            return new Result(done ? process.exitValue() : -1,
                    done ? output : output + "\n(killed after " + timeoutSeconds + " s)");
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
