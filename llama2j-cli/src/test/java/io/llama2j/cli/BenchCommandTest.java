package io.llama2j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llama2j.TestData;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** llama2j bench: llama-bench's table and JSON fields on the real stories260K.gguf. */
class BenchCommandTest {

    private static String model() {
        return TestData.file("stories260K.gguf").toString();
    }

    @Test
    void jsonHasOneObjectPerTestWithLlamaBenchFieldNames() throws Exception {
        CliRun run = CliRun.of("bench", "-m", model(), "-p", "16", "-n", "8", "-ub", "5", "-r", "3", "-t", "1", "-o", "json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode tests = new ObjectMapper().readTree(run.out());
        assertThat(tests).hasSize(2);
        JsonNode pp = tests.get(0), tg = tests.get(1);
        assertThat(pp.get("n_prompt").asInt()).isEqualTo(16);
        assertThat(pp.get("n_gen").asInt()).isZero();
        assertThat(tg.get("n_prompt").asInt()).isZero();
        assertThat(tg.get("n_gen").asInt()).isEqualTo(8);
        for (JsonNode t : tests) {
            assertThat(t.get("n_threads").asInt()).isEqualTo(1);
            assertThat(t.get("n_ubatch").asInt()).isEqualTo(5);
            assertThat(t.get("avg_ts").asDouble()).isPositive();
            assertThat(t.get("stddev_ts").asDouble()).isNotNegative();
            assertThat(t.get("samples_ts")).hasSize(3);
            assertThat(t.get("model_n_params").asLong()).isEqualTo(260_032L + 512 * 64); // untied output in the GGUF
            assertThat(t.get("model_size").asLong()).isEqualTo(4 * t.get("model_n_params").asLong()); // all F32
            assertThat(t.get("model_type").asText()).isEqualTo("llama ?B F32");
            assertThat(t.get("load_ms").asDouble()).isPositive();
        }
    }

    @Test
    void tableHasLlamaBenchColumnsAndOneRowPerTest() {
        CliRun run = CliRun.of("bench", "-m", model(), "-p", "8", "-n", "4", "-r", "1", "-t", "1");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String[] lines = run.out().split("\n");
        assertThat(lines[0]).matches("\\| model +\\| +size \\| +params \\| backend +\\| +threads \\| +test \\| +t/s \\|");
        assertThat(lines[2]).matches("\\| llama \\?B F32 \\| +1\\.\\d\\d MiB \\| +292\\.80 K \\|.*\\| +pp8 \\| +[0-9.]+ ± [0-9.]+ \\|");
        assertThat(lines[3]).matches(".*\\| +tg4 \\|.*");
        assertThat(run.out()).contains("load time:");
    }

    @Test
    void badOptionsAreOneLineErrors() {
        assertThat(CliRun.of("bench", "-m", model(), "-o", "csv").err()).contains("-o must be md or json");
        assertThat(CliRun.of("bench", "-m", model(), "-p", "0", "-n", "0").err()).contains("nothing to measure");
        assertThat(CliRun.of("bench", "-m", model(), "-r", "0").exitCode()).isEqualTo(2);
        CliRun badBatch = CliRun.of("bench", "-m", model(), "-ub", "0");
        assertThat(badBatch.exitCode()).isEqualTo(2);
        assertThat(badBatch.err()).contains("prompt batch must be at least 1, found 0");
        assertThat(CliRun.of("bench", "-m", model(), "--activations", "INT4").exitCode()).isEqualTo(2);
        CliRun badLayout = CliRun.of("bench", "-m", model(), "--weights", "copied");
        assertThat(badLayout.exitCode()).isEqualTo(2);
        assertThat(badLayout.err()).contains("--weights", "PACKED", "MAPPED");
    }

    @Test
    void theWeightLayoutIsChosenInAnyCaseAndReported() {
        CliRun mapped = CliRun.of("bench", "-m", model(), "-p", "0", "-n", "2", "-r", "1", "-t", "1", "--weights", "mapped");
        assertThat(mapped.exitCode()).as(mapped.err()).isZero();
        assertThat(mapped.err()).contains("weights read as loaded (mapped)");
        CliRun packed = CliRun.of("bench", "-m", model(), "-p", "0", "-n", "2", "-r", "1", "-t", "1", "--weights", "Packed");
        assertThat(packed.exitCode()).as(packed.err()).isZero();
        assertThat(packed.err()).contains("no Q4_0/Q8_0 matrix"); // a float32 model has nothing to pack
    }

    @Test
    void float32ActivationsCanBeAskedFor() {
        CliRun run = CliRun.of("bench", "-m", model(), "-p", "0", "-n", "4", "-r", "1", "-t", "1", "--activations", "float32");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("tg4");
    }
}
