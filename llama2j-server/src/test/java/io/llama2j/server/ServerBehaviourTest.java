package io.llama2j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scheduling behaviour seen over HTTP, on the real engine paced by the test: the bounded
 * queue answers 429, a client that disconnects frees its slot at once, a shutdown ends running
 * streams with an error event.
 */
@Timeout(120)
class ServerBehaviourTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    private static String completionBody(int maxTokens, boolean stream) {
        return "{\"prompt\":\"Once upon a time\",\"max_tokens\":" + maxTokens
                + ",\"temperature\":1,\"seed\":7,\"stream\":" + stream + "}";
    }

    private HttpRequest post(LlamaServer server, String body) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private JsonNode health(LlamaServer server) throws IOException, InterruptedException {
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/health")).build();
        return JSON.readTree(http.send(get, HttpResponse.BodyHandlers.ofString()).body());
    }

    private void awaitHealth(LlamaServer server, String field, int value, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (health(server).get(field).asInt() != value) {
            assertThat(System.nanoTime()).as(field + " never became " + value).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    @Test
    void requestsBeyondTheSlotsWaitInTheQueueAndAFullQueueAnswers429() throws Exception {
        PacedModel model = new PacedModel(TestModels.stories260K(), 0);
        ServerConfig config = TestModels.config().withParallel(1).withQueue(1);
        try (LlamaServer server = LlamaServer.start(model, config)) {
            model.closeGate();
            CompletableFuture<HttpResponse<String>> first = http.sendAsync(post(server, completionBody(8, false)), HttpResponse.BodyHandlers.ofString());
            awaitHealth(server, "slots_busy", 1, Duration.ofSeconds(10));
            CompletableFuture<HttpResponse<String>> second = http.sendAsync(post(server, completionBody(8, false)), HttpResponse.BodyHandlers.ofString());
            awaitHealth(server, "queue_depth", 1, Duration.ofSeconds(10));

            HttpResponse<String> third = http.send(post(server, completionBody(8, false)), HttpResponse.BodyHandlers.ofString());
            assertThat(third.statusCode()).isEqualTo(429);
            JsonNode error = JSON.readTree(third.body()).get("error");
            assertThat(error.get("code").asText()).isEqualTo("queue_full");
            assertThat(error.get("type").asText()).isEqualTo("rate_limit_error");

            model.openGate();
            assertThat(first.get().statusCode()).isEqualTo(200);
            assertThat(second.get().statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(second.get().body()).at("/choices/0/text").asText())
                    .isEqualTo(JSON.readTree(first.get().body()).at("/choices/0/text").asText());
            assertThat(server.metrics().render()).contains("llama2j_queue_rejections_total 1\n");
        }
    }

    @Test
    void aClientThatDisconnectsFreesItsSlotAtOnce() throws Exception {
        PacedModel model = new PacedModel(TestModels.stories260K(), 20);
        try (LlamaServer server = LlamaServer.start(model, TestModels.config().withParallel(1))) {
            String body = completionBody(400, true);
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                int dataLines = 0;
                while (dataLines < 3) {
                    String line = in.readLine();
                    assertThat(line).isNotNull();
                    if (line.startsWith("data: ")) dataLines++;
                }
                assertThat(health(server).get("slots_busy").asInt()).isEqualTo(1);
            }
            // 400 tokens at 20 ms would take 8 s; the slot must be free long before.
            awaitHealth(server, "slots_busy", 0, Duration.ofSeconds(3));
            HttpResponse<String> next = http.send(post(server, completionBody(4, false)), HttpResponse.BodyHandlers.ofString());
            assertThat(next.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aNonStreamingClientThatDisconnectsFreesItsSlotAtOnce() throws Exception {
        PacedModel model = new PacedModel(TestModels.stories260K(), 20);
        try (LlamaServer server = LlamaServer.start(model, TestModels.config().withParallel(1))) {
            String body = completionBody(400, false);
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();
                awaitHealth(server, "slots_busy", 1, Duration.ofSeconds(10));
                Thread.sleep(200); // a few tokens generated, nothing sent back yet
            }
            // 400 tokens at 20 ms would take 8 s; the slot must be free long before.
            awaitHealth(server, "slots_busy", 0, Duration.ofSeconds(3));
            assertThat(server.metrics().render()).doesNotContain("llama2j_completion_tokens_total 400\n");
            HttpResponse<String> next = http.send(post(server, completionBody(4, false)), HttpResponse.BodyHandlers.ofString());
            assertThat(next.statusCode()).isEqualTo(200);
        }
    }

    /**
     * Continuous batching seen from outside: three greedy requests in three slots are decoded in
     * shared steps (the batch-size histogram records steps of 3 sequences), and each still gets
     * exactly the text it gets alone.
     */
    @Test
    void requestsRunningTogetherAreDecodedInSharedStepsAndEachGetsItsSoloText() throws Exception {
        PacedModel model = new PacedModel(TestModels.stories260K(), 0);
        String[] bodies = new String[3];
        String[] prompts = {"Once upon a time", "Lily and Ben", "The sun was hot"};
        for (int i = 0; i < bodies.length; i++) {
            bodies[i] = "{\"prompt\":\"" + prompts[i] + "\",\"max_tokens\":24,\"temperature\":0}";
        }
        try (LlamaServer server = LlamaServer.start(model, TestModels.config().withParallel(3))) {
            model.closeGate(); // the first request holds the scheduler until the others are queued
            List<CompletableFuture<HttpResponse<String>>> together = new ArrayList<>();
            together.add(http.sendAsync(post(server, bodies[0]), HttpResponse.BodyHandlers.ofString()));
            awaitHealth(server, "slots_busy", 1, Duration.ofSeconds(10));
            together.add(http.sendAsync(post(server, bodies[1]), HttpResponse.BodyHandlers.ofString()));
            together.add(http.sendAsync(post(server, bodies[2]), HttpResponse.BodyHandlers.ofString()));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            for (JsonNode h = health(server); h.get("slots_busy").asInt() + h.get("queue_depth").asInt() < 3; h = health(server)) {
                assertThat(System.nanoTime()).as("all three requests accepted").isLessThan(deadline);
                Thread.sleep(5);
            }
            model.openGate();
            List<String> texts = new ArrayList<>();
            for (CompletableFuture<HttpResponse<String>> response : together) {
                assertThat(response.get().statusCode()).isEqualTo(200);
                texts.add(JSON.readTree(response.get().body()).at("/choices/0/text").asText());
            }
            String metrics = server.metrics().render();
            assertThat(bucket(metrics, "4")).as("steps of 3 sequences").isGreaterThan(bucket(metrics, "2"));

            for (int i = 0; i < bodies.length; i++) {
                HttpResponse<String> alone = http.send(post(server, bodies[i]), HttpResponse.BodyHandlers.ofString());
                assertThat(JSON.readTree(alone.body()).at("/choices/0/text").asText()).as("request %d", i).isEqualTo(texts.get(i));
            }
            assertThat(texts).doesNotHaveDuplicates();
        }
    }

    /** The cumulative count of llama2j_batch_size's bucket {@code le}. */
    private static long bucket(String metrics, String le) {
        String prefix = "llama2j_batch_size_bucket{le=\"" + le + "\"} ";
        for (String line : metrics.split("\n")) {
            if (line.startsWith(prefix)) return Long.parseLong(line.substring(prefix.length()));
        }
        throw new AssertionError("no " + prefix + " line in /metrics");
    }

    @Test
    void shutdownEndsRunningStreamsWithAnErrorEventAndRefusesNewWork() throws Exception {
        PacedModel model = new PacedModel(TestModels.stories260K(), 20);
        ServerConfig config = TestModels.config().withParallel(1).withDrainTimeout(Duration.ofMillis(300));
        LlamaServer server = LlamaServer.start(model, config);
        CompletableFuture<HttpResponse<java.util.stream.Stream<String>>> stream =
                http.sendAsync(post(server, completionBody(400, true)), HttpResponse.BodyHandlers.ofLines());
        HttpResponse<java.util.stream.Stream<String>> response = stream.get();
        assertThat(response.statusCode()).isEqualTo(200);
        CompletableFuture<List<String>> lines = CompletableFuture.supplyAsync(() -> {
            List<String> all = new ArrayList<>();
            response.body().forEach(all::add);
            return all;
        });
        awaitHealth(server, "slots_busy", 1, Duration.ofSeconds(10));
        server.close();

        List<String> events = lines.get().stream().filter(l -> l.startsWith("data: ")).toList();
        assertThat(events.getLast()).isEqualTo("data: [DONE]");
        JsonNode lastChunk = JSON.readTree(events.get(events.size() - 2).substring("data: ".length()));
        assertThat(lastChunk.at("/error/message").asText()).contains("shutting down");
    }
}
