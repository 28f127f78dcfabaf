package io.llama2j.spark;

import io.llama2j.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The job's command line, as `llama2j spark-generate` runs it (its own SparkSession, stopped at the end). */
class SparkMainTest {
    @TempDir
    Path dir;

    private record Run(int exitCode, String err) {}

    private static Run run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = SparkMain.commandLine().setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Run(code, err.toString());
    }

    private static List<String> lines(Path table) throws IOException {
        try (Stream<Path> parts = Files.list(table)) {
            return parts.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().flatMap(p -> {
                try {
                    return Files.readAllLines(p).stream();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }

    @Test
    void generateWritesOneJsonLinePerInputRowAndReportsTheTotals() throws IOException {
        Path input = dir.resolve("prompts.jsonl");
        Files.write(input, List.of("{\"id\": \"a\", \"prompt\": \"Once upon a time\"}", "{\"id\": \"b\", \"prompt\": \"The dog\"}",
                "not json"));
        Path output = dir.resolve("out");
        Run r = run("generate", "--master", "local[1]", "--input", input.toString(), "--output", output.toString(),
                "-m", TestData.file("stories260K.bin").toString(), "-z", TestData.file("tok512.bin").toString(),
                "--temperature", "0", "-n", "12", "--output-format", "jsonl");

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).contains("spark-generate: 3 rows (1 errors)").contains("+ 24 completion tokens").contains("seed ");
        List<String> rows = lines(output);
        assertThat(rows).hasSize(3);
        assertThat(rows).filteredOn(l -> l.contains("\"id\":\"a\""))
                .singleElement().asString().contains("\"completion\":\", there was a little girl").contains("\"finish_reason\":\"length\"");
        assertThat(rows).filteredOn(l -> l.contains("\"finish_reason\":\"error\"")).singleElement().asString()
                .contains("malformed input record: not json");
    }

    @Test
    void anExistingOutputIsKeptUnlessOverwriteIsGiven() throws IOException {
        Path input = dir.resolve("prompts.jsonl");
        Files.write(input, List.of("{\"id\": 1, \"prompt\": \"Hi\"}"));
        Path output = Files.createDirectories(dir.resolve("out"));
        Files.writeString(output.resolve("keep.txt"), "earlier results");
        Run r = run("generate", "--master", "local[1]", "--input", input.toString(), "--output", output.toString(),
                "-m", TestData.file("stories260K.bin").toString(), "-z", TestData.file("tok512.bin").toString(), "-n", "2");

        assertThat(r.exitCode()).isNotZero();
        assertThat(r.err()).contains("the output " + output + " already exists; give --overwrite to replace it");
        assertThat(output.resolve("keep.txt")).hasContent("earlier results");
    }

    @Test
    void scoreWritesEveryRowWithItsScoresAndReportsThePairAccuracy() throws Exception {
        Path reward = RewardFixture.write(Files.createDirectories(dir.resolve("rm")));
        Path input = dir.resolve("answers.jsonl");
        Files.write(input, List.of("{\"prompt\": \"Tell me about the cat.\", \"chosen\": \"The cat was happy.\", \"rejected\": \"The cat was sad.\"}",
                "{\"prompt\": \"Tell me about the dog.\", \"chosen\": \"The dog was happy.\", \"rejected\": \"The dog was sad.\"}",
                "{\"prompt\": \"Tell me about the sun.\", \"response\": \"It was hot.\"}", "not json"));
        Path output = dir.resolve("scored");
        Run r = run("score", "--master", "local[1]", "--input", input.toString(), "--output", output.toString(), "--reward", reward.toString(),
                "-z", TestData.file("tok512.bin").toString());

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).contains("spark-score: 4 rows (1 errors)").containsPattern("chosen scored above rejected in [0-2] of 2 pairs");
        List<String> rows = lines(output);
        assertThat(rows).hasSize(4);
        assertThat(rows).filteredOn(l -> l.contains("\"chosen_score\"")).hasSize(2).allMatch(l -> l.contains("\"chosen_wins\""));
        assertThat(rows).filteredOn(l -> l.contains("\"score\"")).singleElement().asString().contains("It was hot.");
        assertThat(rows).filteredOn(l -> l.contains("\"error\"")).singleElement().asString().contains("malformed input record: not json");
    }

    @Test
    void aMissingModelEndsTheJobWithOneLineNamingIt() throws IOException {
        Path input = dir.resolve("prompts.jsonl");
        Files.write(input, List.of("{\"id\": \"a\", \"prompt\": \"Once upon a time\"}"));
        Path missing = dir.resolve("no-such-model.gguf");
        Run r = run("generate", "--master", "local[1]", "--input", input.toString(), "--output", dir.resolve("out").toString(),
                "-m", missing.toString(), "-n", "4");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("llama2j-spark generate: ").contains("no-such-model.gguf").doesNotContain("\tat ");
    }
}
