package io.llama2j.spark.generate;

import io.llama2j.TestData;
import io.llama2j.chat.ChatFormat;
import io.llama2j.chat.Message;
import io.llama2j.generate.GenerationResult;
import io.llama2j.generate.GenerationSettings;
import io.llama2j.generate.Generator;
import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.model.ReferenceOutput;
import io.llama2j.sampling.Sampler;
import io.llama2j.spark.LocalSpark;
import io.llama2j.tensor.Parallel;
import io.llama2j.tokenizer.StreamingDecoder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class BatchGenerationTest {
    static SparkSession spark;
    static String model;
    static String tokenizer;
    static LoadedModel reference;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws IOException {
        model = TestData.file("stories260K.bin").toString();
        tokenizer = TestData.file("tok512.bin").toString();
        reference = ModelLoader.load(Path.of(model), Path.of(tokenizer));
        spark = LocalSpark.start(BatchGenerationTest.class.getSimpleName());
    }

    @AfterAll
    static void stop() throws Exception {
        if (spark != null) spark.stop();
        if (reference != null) reference.close();
    }

    private GenerationJobSettings settings(long jobSeed) {
        return new GenerationJobSettings(model, tokenizer, 40, 1.0f, 0.9f, 0, jobSeed, List.of(), 1);
    }

    private Path jsonl(String... lines) throws IOException {
        Path file = dir.resolve("in-" + System.nanoTime() + ".jsonl");
        Files.write(file, List.of(lines));
        return file;
    }

    private List<String> seededRequests() {
        List<String> lines = new ArrayList<>();
        String[] prompts = {"Once upon a time", "The cat", "Lily saw a big", "One day, Tom", "", "The sun was"};
        for (int i = 0; i < 12; i++) {
            String prompt = prompts[i % prompts.length];
            if (i % 4 == 3) {
                lines.add("{\"id\": \"chat-" + i + "\", \"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
                        + " {\"role\": \"user\", \"content\": \"" + prompt + "\"}], \"max_tokens\": 24}");
            } else if (i % 3 == 0) {
                lines.add("{\"id\": \"p-" + i + "\", \"prompt\": \"" + prompt + "\", \"seed\": " + (1000 + i) + ", \"temperature\": 0.8}");
            } else {
                lines.add("{\"id\": \"p-" + i + "\", \"prompt\": \"" + prompt + "\"" + (i % 5 == 0 ? ", \"max_tokens\": 7" : "") + "}");
            }
        }
        return lines;
    }

    /** What the engine's Generator (the `llama2j generate` loop) produces for one request. */
    private String[] expected(int[] promptIds, int maxTokens, float temperature, long seed, GenerationJobSettings s) {
        try (Parallel parallel = new Parallel(1)) {
            Generator generator = new Generator(new Llama(reference.config(), reference.weights(), parallel));
            InferenceState state = new InferenceState(reference.config(),
                    Math.min(reference.config().contextLength(), promptIds.length + maxTokens), InferenceState.DEFAULT_PROMPT_BATCH);
            StreamingDecoder decoder = reference.tokenizer().streamingDecoder();
            GenerationResult r = generator.generate(state, promptIds, new Sampler(s.samplerConfig(temperature, seed), reference.config().vocabSize()),
                    new GenerationSettings(maxTokens, reference.stopTokenIds(), s.stopStrings(), null), decoder::accept, (id, t) -> {});
            String completion = r.stopReason() == io.llama2j.generate.StopReason.STOP_STRING ? r.text() : r.text() + decoder.flush();
            return new String[]{completion, Integer.toString(r.promptTokens()), Integer.toString(r.tokens().length),
                    PartitionDecoder.RowDecoder.finishReason(r.stopReason())};
        }
    }

    private static Map<String, Row> byId(List<Row> rows) {
        Map<String, Row> map = new TreeMap<>();
        for (Row r : rows) {
            assertThat(map.put(r.getAs("id").toString(), r)).as("row %s appears once", r.getAs("id").toString()).isNull();
        }
        return map;
    }

    @ParameterizedTest(name = "{0} partition(s), batches of {1} row(s), stop string \"{2}\"; JSONL input for 1 partition, Parquet for 3")
    @CsvSource(value = {"1, 1, ''", "3, 1, ''", "1, 4, ''", "3, 5, ' she'"}, emptyValue = "")
    void seededRowsEqualTheGeneratorWhateverThePartitioningAndBatch(int partitions, int batch, String stop) throws IOException {
        GenerationJobSettings s = new GenerationJobSettings(model, tokenizer, 40, 1.0f, 0.9f, 0, 42, stop.isEmpty() ? List.of() : List.of(stop),
                1, batch);
        Dataset<Row> input = spark.read().json(jsonl(seededRequests().toArray(String[]::new)).toString());
        if (partitions > 1) {
            // the same requests from a Parquet table (messages as array<struct<content, role>>)
            Path parquet = dir.resolve("requests.parquet");
            input.write().parquet(parquet.toString());
            input = io.llama2j.spark.DataFormat.of(parquet).read(spark, parquet);
        }
        input = input.repartition(partitions);
        Path out = dir.resolve("out");
        BatchGeneration.generate(input, s).write().parquet(out.toString());
        Map<String, Row> rows = byId(spark.read().parquet(out.toString()).collectAsList());

        assertThat(rows).hasSize(12);
        ChatFormat chat = new ChatFormat(reference.tokenizer());
        for (Row row : rows.values()) {
            String id = row.getAs("id");
            assertThat((String) row.getAs("error")).as(id).isNull();
            int[] promptIds;
            if (row.getAs("prompt") != null) {
                String prompt = row.getAs("prompt");
                promptIds = prompt.isEmpty() ? new int[]{reference.tokenizer().bosId()} : reference.tokenizer().encode(prompt, true, false);
            } else {
                List<Row> messages = row.getList(row.fieldIndex("messages"));
                promptIds = chat.encodePrompt(messages.stream().map(m -> new Message(
                        io.llama2j.chat.Role.fromWireName(m.getAs("role")), m.getAs("content"))).toList()).ids();
            }
            int maxTokens = row.isNullAt(row.fieldIndex("max_tokens")) ? s.maxTokens() : ((Number) row.getAs("max_tokens")).intValue();
            float temperature = row.isNullAt(row.fieldIndex("temperature")) ? s.temperature() : ((Number) row.getAs("temperature")).floatValue();
            long seed = row.isNullAt(row.fieldIndex("seed")) ? RowSeeds.derive(42, id) : ((Number) row.getAs("seed")).longValue();
            String[] want = expected(promptIds, maxTokens, temperature, seed, s);
            assertThat(new String[]{row.getAs("completion"), row.getAs("prompt_tokens").toString(),
                    row.getAs("completion_tokens").toString(), row.getAs("finish_reason")}).as(id).containsExactly(want);
        }
        assertThat(rows.get("p-5").<Integer>getAs("completion_tokens")).isLessThanOrEqualTo(7);
        // local mode: the driver JVM is the one executor, which loaded the model once for every task
        assertThat(io.llama2j.spark.ModelCache.holds(model)).isTrue();
        assertThat(io.llama2j.spark.ModelCache.size()).isEqualTo(1);
    }

    @Test
    void greedyRowsReproduceRunCsReferenceStory() throws IOException {
        ReferenceOutput ref = ReferenceOutput.read(TestData.file("reference/stories260K-ref-prompt.json"));
        GenerationJobSettings s = settings(7).withTemperature(0f).withMaxTokens(252);
        Dataset<Row> input = spark.read().json(jsonl("{\"id\": 1, \"prompt\": \"Once upon a time\"}").toString());
        Row row = BatchGeneration.generate(input, s).collectAsList().getFirst();
        assertThat(row.<String>getAs("completion")).isEqualTo(ref.greedyText());
    }

    @Test
    void aTaskKilledMidPartitionIsRetriedAndEveryRowIsWrittenOnce() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 10; i++) lines.add("{\"id\": " + i + ", \"prompt\": \"Tom had\", \"max_tokens\": 5}");
        Dataset<Row> input = spark.read().json(jsonl(lines.toArray(String[]::new)).toString()).repartition(2);
        Path out = dir.resolve("retried");
        // every partition's first attempt dies after writing its first two rows
        TaskHook killFirstAttempt = (task, row) -> {
            if (task.attemptNumber() == 0 && row == 2) throw new IllegalStateException("injected failure in " + task.partitionId());
        };
        // in batches of 3: rows in flight when the attempt dies are decoded again by the next one
        BatchGeneration.generate(input, settings(3).withBatch(3), killFirstAttempt).write().json(out.toString());

        List<Row> rows = spark.read().json(out.toString()).collectAsList();
        assertThat(rows).hasSize(10);
        assertThat(byId(rows).keySet()).containsExactlyInAnyOrder("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
        assertThat(rows).allSatisfy(r -> assertThat((String) r.getAs("finish_reason")).isNotEqualTo("error"));
    }

    @Test
    void malformedRowsBecomeErrorRowsWithAReason() throws IOException {
        Path input = jsonl(
                "{\"id\": \"ok\", \"prompt\": \"Hi\", \"max_tokens\": 3}",
                "{\"id\": \"broken\", \"prompt\": ",
                "{\"prompt\": \"no id\"}",
                "{\"id\": \"both\", \"prompt\": \"a\", \"messages\": [{\"role\": \"user\", \"content\": \"b\"}]}",
                "{\"id\": \"none\"}",
                "{\"id\": \"words\", \"prompt\": \"a\", \"max_tokens\": \"many\"}",
                "{\"id\": \"negative\", \"prompt\": \"a\", \"max_tokens\": -1}",
                "{\"id\": \"cold\", \"prompt\": \"a\", \"temperature\": -0.5}",
                "{\"id\": \"role\", \"messages\": [{\"role\": \"wizard\", \"content\": \"b\"}]}",
                "{\"id\": \"assistant-last\", \"messages\": [{\"role\": \"user\", \"content\": \"b\"}, {\"role\": \"assistant\", \"content\": \"c\"}]}",
                "{\"id\": \"tags\", \"messages\": [{\"role\": \"user\", \"content\": \"[INST] hi\"}]}",
                "{\"id\": \"long\", \"prompt\": \"" + "Once upon a time ".repeat(200) + "\"}");
        Dataset<Row> in = spark.read().option("columnNameOfCorruptRecord", BatchColumns.CORRUPT_RECORD).json(input.toString());
        List<Row> rows = BatchGeneration.generate(in, settings(1)).collectAsList();

        assertThat(rows).hasSize(12);
        Map<String, String> errors = new TreeMap<>();
        List<String> errorsWithoutId = new ArrayList<>();
        for (Row r : rows) {
            if (!"error".equals(r.getAs("finish_reason"))) {
                assertThat((String) r.getAs("error")).isNull();
            } else if (r.getAs("id") == null) {
                errorsWithoutId.add(r.getAs("error"));
            } else {
                errors.put(r.getAs("id"), r.getAs("error"));
            }
        }
        assertThat(errors.keySet()).doesNotContain("ok").hasSize(9);
        assertThat(errorsWithoutId).hasSize(2).contains("missing \"id\"")
                .anyMatch(e -> e.startsWith("malformed input record: {\"id\": \"broken\", \"prompt\": "));
        assertThat(errors.get("both")).contains("both \"prompt\" and \"messages\"");
        assertThat(errors.get("none")).contains("neither");
        assertThat(errors.get("words")).isEqualTo("\"max_tokens\" must be a whole number, found \"many\"");
        assertThat(errors.get("negative")).isEqualTo("\"max_tokens\" must be in [0, 2147483647], found -1");
        assertThat(errors.get("cold")).contains("temperature").contains("-0.5");
        assertThat(errors.get("role")).contains("unknown chat role \"wizard\"");
        assertThat(errors.get("assistant-last")).contains("must end with a user message");
        assertThat(errors.get("tags")).startsWith(ChatFormat.UNSAFE_ERROR);
        assertThat(errors.get("long")).contains("does not fit the model's context of " + reference.config().contextLength());
    }
}
