package io.llama2j.cli;

import io.llama2j.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class PerplexityCommandTest {
    final String model = TestData.file("stories260K.gguf").toString();

    @Test
    void printsTheRunningPerplexityPerChunkAndLlamaCppsFinalEstimate() {
        CliRun r = CliRun.of("perplexity", "-m", model, "-f", TestData.file("datasets/tinystories-valid-head.txt").toString(),
                "--ctx", "128", "--batch", "32", "--chunks", "3", "-t", "1");

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("\\[1\\]\\d+\\.\\d{4},\\[2\\]\\d+\\.\\d{4},\\[3\\]\\d+\\.\\d{4},")
                .containsPattern("Final estimate: PPL = \\d+\\.\\d{4} \\+/- \\d+\\.\\d{5}");
        assertThat(r.err()).contains("chunks of 128 (scoring 3)");
    }

    @Test
    void aTextTooShortForTwoChunksIsOneClearLine(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("short.txt"), "Once upon a time.");

        CliRun r = CliRun.of("perplexity", "-m", model, "-f", text.toString(), "--ctx", "64");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("llama2j perplexity:").contains("needs at least 128");
    }
}
