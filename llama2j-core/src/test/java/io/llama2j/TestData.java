package io.llama2j;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Real model and tokenizer files from ../shared/testdata (see its PROVENANCE.md). A test that
 * needs a missing file is skipped on a developer machine but fails when CI=true, so CI can never
 * pass by silently testing nothing.
 */
public final class TestData {
    private TestData() {}

    public static Path dir() {
        String configured = System.getProperty("llama2j.testdata");
        Path p = configured != null ? Path.of(configured) : Path.of("..", "shared", "testdata");
        if (!Files.isDirectory(p)) {
            p = Path.of("..", "..", "shared", "testdata"); // running from inside a module
        }
        return p.toAbsolutePath().normalize();
    }

    /** The file at {@code relative} under the test data folder; skips or fails when missing. */
    public static Path file(String relative) {
        Path p = dir().resolve(relative);
        if (!Files.isRegularFile(p)) {
            String message = "test data file missing: " + p + " (see ../shared/testdata/PROVENANCE.md)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new AssertionError(message);
            }
            Assumptions.abort(message);
        }
        return p;
    }
}
