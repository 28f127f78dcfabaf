package io.llama2j.spark.score;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llama2j.TestData;
import io.llama2j.spark.LocalSpark;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.reward.RewardScoreFile;
import io.llama2j.train.reward.TrainedRewardModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** spark-score against reward-score ({@link RewardScoreFile}) on a reward model built on stories260K. */
class RewardScoringTest {
    static SparkSession spark;
    static String tokenizer;
    @TempDir
    static Path rewardFolder;
    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        tokenizer = TestData.file("tok512.bin").toString();
        io.llama2j.spark.RewardFixture.write(rewardFolder);
        spark = LocalSpark.start(RewardScoringTest.class.getSimpleName());
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    private ScoringJobSettings settings() {
        return new ScoringJobSettings(rewardFolder.toString(), tokenizer, 1);
    }

    private Path jsonl(String name, List<String> lines) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, lines);
        return file;
    }

    /** Rows of both kinds, one- and multi-turn, short and long (the task's plan grows past its first size). */
    private static List<String> responses() {
        String[] things = {"cat", "dog", "bird", "tree", "ball", "sun", "frog", "cake"};
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            String thing = things[i % things.length];
            String longTail = i % 5 == 4 ? " They played in the park all day and then went home to sleep.".repeat(3) : "";
            if (i % 3 == 0) {
                lines.add("{\"id\": \"r" + i + "\", \"prompt\": \"Tell me about the " + thing + ".\", \"chosen\": \"The " + thing
                        + " was happy." + longTail + "\", \"rejected\": \"The " + thing + " was sad.\"}");
            } else if (i % 3 == 1) {
                lines.add("{\"id\": \"r" + i + "\", \"messages\": [{\"role\": \"system\", \"content\": \"Be kind.\"},"
                        + " {\"role\": \"user\", \"content\": \"Who is the " + thing + "?\"}, {\"role\": \"assistant\", \"content\": \"A friend.\"},"
                        + " {\"role\": \"user\", \"content\": \"And then?\"}], \"response\": \"The " + thing + " ran away." + longTail + "\"}");
            } else {
                lines.add("{\"id\": \"r" + i + "\", \"prompt\": \"Once upon a time a " + thing + "\", \"response\": \"Lily saw the " + thing
                        + "." + longTail + "\"}");
            }
        }
        return lines;
    }

    private static Map<String, Row> byId(List<Row> rows) {
        Map<String, Row> map = new TreeMap<>();
        for (Row r : rows) assertThat(map.put(r.getAs("id"), r)).as("row %s appears once", (Object) r.getAs("id")).isNull();
        return map;
    }

    @Test
    void scoresEqualRewardScoresRowByRowWhateverThePartitioning() throws IOException {
        Path input = jsonl("responses.jsonl", responses());
        RewardScoreFile.Scored expected;
        try (Parallel parallel = new Parallel(1)) {
            expected = RewardScoreFile.score(TrainedRewardModel.load(rewardFolder, Path.of(tokenizer)), input, parallel);
        }
        Dataset<Row> in = io.llama2j.spark.DataFormat.JSONL.read(spark, input).repartition(3);
        Path out = dir.resolve("scored");
        RewardScoring.score(in, settings()).write().parquet(out.toString());
        Map<String, Row> rows = byId(spark.read().parquet(out.toString()).collectAsList());

        assertThat(rows).hasSize(expected.lines().size());
        int pairs = 0;
        for (ObjectNode want : expected.lines()) {
            Row row = rows.get(want.get("id").asText());
            assertThat((String) row.getAs(ScoreColumns.ERROR)).isNull();
            if (want.has(RewardScoreFile.SCORE)) {
                assertThat(row.<Double>getAs(ScoreColumns.SCORE)).as(want.toString()).isEqualTo(want.get(RewardScoreFile.SCORE).asDouble());
                assertThat((Object) row.getAs(ScoreColumns.CHOSEN_SCORE)).isNull();
            } else {
                pairs++;
                assertThat(row.<Double>getAs(ScoreColumns.CHOSEN_SCORE)).isEqualTo(want.get(RewardScoreFile.CHOSEN_SCORE).asDouble());
                assertThat(row.<Double>getAs(ScoreColumns.REJECTED_SCORE)).isEqualTo(want.get(RewardScoreFile.REJECTED_SCORE).asDouble());
                assertThat(row.<Boolean>getAs(ScoreColumns.CHOSEN_WINS)).isEqualTo(want.get(RewardScoreFile.CHOSEN_WINS).asBoolean());
                assertThat((Object) row.getAs(ScoreColumns.SCORE)).isNull();
            }
        }
        assertThat(pairs).isPositive().isLessThan(rows.size());
        // the scores differ from row to row: the head reads each response
        assertThat(rows.values().stream().map(r -> r.getAs(ScoreColumns.SCORE)).filter(java.util.Objects::nonNull).distinct()).hasSizeGreaterThan(5);
    }

    @Test
    void malformedRowsBecomeErrorRowsWithAReason() throws IOException {
        Path input = jsonl("bad.jsonl", List.of(
                "{\"id\": \"ok\", \"prompt\": \"Hi\", \"response\": \"Hello.\"}",
                "{\"id\": \"broken\", \"prompt\": ",
                "{\"id\": \"no-prompt\", \"response\": \"Hello.\"}",
                "{\"id\": \"both-prompts\", \"prompt\": \"Hi\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"response\": \"a\"}",
                "{\"id\": \"no-response\", \"prompt\": \"Hi\"}",
                "{\"id\": \"half-pair\", \"prompt\": \"Hi\", \"chosen\": \"a\"}",
                "{\"id\": \"both-kinds\", \"prompt\": \"Hi\", \"response\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}",
                "{\"id\": \"role\", \"messages\": [{\"role\": \"wizard\", \"content\": \"b\"}], \"response\": \"a\"}",
                "{\"id\": \"assistant-last\", \"messages\": [{\"role\": \"user\", \"content\": \"b\"}, {\"role\": \"assistant\", \"content\": \"c\"}],"
                        + " \"response\": \"a\"}",
                "{\"id\": \"long\", \"prompt\": \"Hi\", \"response\": \"" + "Once upon a time ".repeat(200) + "\"}"));
        List<Row> rows = RewardScoring.score(io.llama2j.spark.DataFormat.JSONL.read(spark, input), settings()).collectAsList();

        assertThat(rows).hasSize(10);
        Map<String, String> errors = new TreeMap<>();
        for (Row r : rows) {
            String id = r.getAs("id") == null ? "(none)" : r.getAs("id");
            if (r.getAs(ScoreColumns.ERROR) != null) {
                errors.put(id, r.getAs(ScoreColumns.ERROR));
                assertThat((Object) r.getAs(ScoreColumns.SCORE)).isNull();
                assertThat((Object) r.getAs(ScoreColumns.CHOSEN_SCORE)).isNull();
            }
        }
        assertThat(errors).doesNotContainKey("ok").hasSize(9);
        assertThat(errors.get("(none)")).startsWith("malformed input record: {\"id\": \"broken\"");
        assertThat(errors.get("no-prompt")).contains("exactly one of \"messages\" or \"prompt\"");
        assertThat(errors.get("both-prompts")).contains("exactly one of \"messages\" or \"prompt\"");
        assertThat(errors.get("no-response")).contains("expected \"response\", or \"chosen\" and \"rejected\"");
        assertThat(errors.get("half-pair")).contains("expected \"response\", or \"chosen\" and \"rejected\"");
        assertThat(errors.get("both-kinds")).contains("not both");
        assertThat(errors.get("role")).contains("unknown chat role \"wizard\"");
        assertThat(errors.get("assistant-last")).contains("must end with a user message");
        assertThat(errors.get("long")).contains("more than the model's context 512");
    }
}
