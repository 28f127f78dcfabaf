package io.llama2j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llama2j.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class EvalCommandTest {
    final String model = TestData.file("stories260K.gguf").toString();
    @TempDir
    Path dir;

    @Test
    void multipleChoiceWritesATableAndAJsonFileOfMetricsAndSamples() throws Exception {
        Path task = Files.writeString(dir.resolve("stories.jsonl"), """
                {"context": "Once upon a time, there was a little", "choices": ["girl", "refrigerator"], "answer": 0}
                {"context": "Lily went to the park with her", "choices": ["mom", "spreadsheet"], "answer": 0}
                {"question": "What did the dog say?", "choices": ["woof", "quantum"], "answer": 0}
                """);
        Path results = dir.resolve("out/results.json");

        CliRun r = CliRun.of("eval", "-m", model, "--task", task.toString(), "--shots", "1", "-o", results.toString(), "-t", "1");

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("stories.jsonl").contains("acc_norm").contains("choice");
        JsonNode json = new ObjectMapper().readTree(results.toFile());
        assertThat(json.get("items").asInt()).isEqualTo(3);
        assertThat(json.get("shots").asInt()).isEqualTo(1);
        assertThat(json.get("metrics").get("acc").asDouble()).isBetween(0.0, 1.0);
        assertThat(json.get("samples")).hasSize(3);
        assertThat(json.get("samples").get(0).get("loglikelihoods")).hasSize(2);
    }

    @Test
    void truthfulQaIsScoredAsMc1AndMc2() {
        CliRun r = CliRun.of("eval", "-m", model, "--task", TestData.file("datasets/truthfulqa-mc_task-v1.json").toString(),
                "--format", "truthfulqa", "--limit", "2", "-t", "1");

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("mc1").contains("mc2").contains("truthfulqa");
    }

    @Test
    void anUnknownFormatIsAParameterError() {
        CliRun r = CliRun.of("eval", "-m", model, "--task", "x.jsonl", "--format", "essay");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--format must be auto, choice, truthfulqa or generate");
    }
}
