package io.llama2j.spark.eval;

import io.llama2j.TestData;
import io.llama2j.eval.EvalReport;
import io.llama2j.eval.EvalSettings;
import io.llama2j.eval.Evaluator;
import io.llama2j.eval.TaskFormat;
import io.llama2j.eval.TaskReader;
import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.spark.SparkMain;
import io.llama2j.tensor.Parallel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** spark-eval against `llama2j eval` (TaskReader, Evaluator.run, EvalReport's table and JSON file) on stories260K. */
class ShardedEvaluationTest {
    @TempDir
    Path dir;

    private record Run(int exitCode, String out, String err) {}

    private static Run sparkEval(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = new CommandLine(new SparkMain()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** What `llama2j eval -m model -z tokenizer --task file ... -o json` prints and writes. */
    private static String llama2jEval(Path model, Path tokenizer, Path taskFile, EvalSettings settings, Path json) throws Exception {
        try (LoadedModel m = ModelLoader.load(model, tokenizer); Parallel parallel = new Parallel(2)) {
            EvalReport report = new Evaluator(new Llama(m.config(), m.weights(), parallel), m.tokenizer(), settings)
                    .run(taskFile.getFileName().toString(), TaskReader.read(taskFile, TaskFormat.AUTO), null);
            report.writeJson(json, m.source().toString());
            return report.table();
        }
    }

    private static EvalSettings settings(int shots, int limit, int maxNewTokens) {
        return new EvalSettings(shots, limit, EvalSettings.DEFAULT_SEED, true, InferenceState.DEFAULT_PROMPT_BATCH, maxNewTokens);
    }

    private void assertSameAsEval(Path taskFile, int shots, int limit, int maxNewTokens, int partitions) throws Exception {
        Path model = TestData.file("stories260K.bin"), tokenizer = TestData.file("tok512.bin");
        Path expectedJson = dir.resolve("eval.json"), sparkJson = dir.resolve("spark").resolve("eval.json");
        String table = llama2jEval(model, tokenizer, taskFile, settings(shots, limit, maxNewTokens), expectedJson);

        Run r = sparkEval("eval", "--master", "local[2]", "-m", model.toString(), "-z", tokenizer.toString(), "--task", taskFile.toString(),
                "--shots", "" + shots, "--limit", "" + limit, "--max-tokens", "" + maxNewTokens, "--partitions", "" + partitions,
                "-o", sparkJson.toString());

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(table);
        assertThat(r.err()).contains("spark-eval: " + limit + " items");
        assertThat(Files.readString(sparkJson)).isEqualTo(Files.readString(expectedJson));
    }

    @Test
    void multipleChoiceShardedOverThreePartitionsGivesEvalsTableAndJson() throws Exception {
        String[] names = {"Lily", "Tom", "Sue", "Ben", "Max", "Amy", "Sam"};
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            lines.add("{\"context\": \"Once upon a time, " + names[i] + " went to the\", \"choices\": [\"park\", \"moon and the stars\", \"big red house\"],"
                    + " \"answer\": " + (i % 3) + "}");
        }
        Path task = dir.resolve("stories-choice.jsonl");
        Files.write(task, lines);
        assertSameAsEval(task, 2, 6, EvalSettings.DEFAULT_MAX_NEW_TOKENS, 3);
    }

    @Test
    void generationShardedOverTwoPartitionsGivesEvalsTableAndJson() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            lines.add("{\"question\": \"Tom had " + i + " apples and found one more. How many apples does he have?\", \"answer\": \"He has "
                    + i + " + 1 = " + (i + 1) + " apples.\\n#### " + (i + 1) + "\"}");
        }
        Path task = dir.resolve("apples.jsonl");
        Files.write(task, lines);
        assertSameAsEval(task, 1, 4, 8, 2);
    }

    @Test
    void aBadTaskFileIsRefusedWithItsNameBeforeAnyWork() throws IOException {
        Path task = dir.resolve("bad.jsonl");
        Files.write(task, List.of("{\"context\": \"x\", \"choices\": [\"a\"], \"answer\": 3}"));
        Run r = sparkEval("eval", "--master", "local[1]", "-m", TestData.file("stories260K.bin").toString(), "-z",
                TestData.file("tok512.bin").toString(), "--task", task.toString());
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.err()).contains("bad.jsonl");
    }
}
