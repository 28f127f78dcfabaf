package io.llama2j.spark.prepare;

import io.llama2j.TestData;
import io.llama2j.spark.LocalSpark;
import io.llama2j.tokenizer.Tokenizer;
import io.llama2j.train.data.DatasetPreparer;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class CorpusPreparationTest {
    static SparkSession spark;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        spark = LocalSpark.start(CorpusPreparationTest.class.getSimpleName());
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    private static List<String> names(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void shardsAreByteIdenticalToPrepares() throws IOException {
        Path tokenizer = TestData.file("tok512.model");
        Path stories = TestData.file("datasets/tinystories-valid-head.txt");
        Path jsonl = dir.resolve("more.jsonl");
        Files.write(jsonl, List.of("{\"text\": \"  Tom had a red ball.  \"}", "{\"text\": \"   \"}", "{\"text\": \"The end.\"}"));
        List<Path> inputs = List.of(stories, jsonl);
        int shardTokens = 4000;

        DatasetPreparer.Summary local = new DatasetPreparer(Tokenizer.load(tokenizer), 0.1, shardTokens)
                .prepare(inputs, dir.resolve("prepare"));
        DatasetPreparer.Summary distributed = CorpusPreparation.prepare(spark, tokenizer, inputs, dir.resolve("spark"), 0.1,
                shardTokens, 7);

        assertThat(distributed).isEqualTo(local);
        assertThat(local.trainShards()).as("the test must span several shards").isGreaterThan(1);
        List<String> files = names(dir.resolve("prepare"));
        assertThat(names(dir.resolve("spark"))).isEqualTo(files).contains(DatasetPreparer.SUMMARY_FILE);
        for (String f : files) {
            assertThat(Files.readAllBytes(dir.resolve("spark").resolve(f))).as(f)
                    .isEqualTo(Files.readAllBytes(dir.resolve("prepare").resolve(f)));
        }
    }

    @Test
    void aMalformedJsonlLineFailsWithItsFileAndLine() throws IOException {
        Path tokenizer = TestData.file("tok512.model"); // outside the lambda: a missing file skips the test
        Path bad = dir.resolve("bad.jsonl");
        Files.write(bad, List.of("{\"text\": \"fine\"}", "{\"txt\": \"wrong field\"}"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CorpusPreparation.prepare(spark, tokenizer,
                        List.of(bad), dir.resolve("out"), 0.0, 100, 10))
                .isInstanceOf(IOException.class).hasMessageContaining(bad + ":2");
    }
}
