package io.llama2j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Continuous batching must not change anyone's output: seeded streaming requests sent all at
 * once (more than there are slots, so some wait and join between steps) each receive exactly the
 * text they receive when sent alone.
 */
class ConcurrentStreamsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] PROMPTS = {"Once upon a time", "Lily and Ben", "The little dog", "One day",
            "Tom had a red ball", "The sun was hot", "Mom said", "A big fish"};

    private static String body(int i) {
        return "{\"prompt\":\"" + PROMPTS[i] + "\",\"max_tokens\":" + (20 + 7 * i)
                + ",\"temperature\":1.0,\"top_p\":0.95,\"seed\":" + (1000 + i) + ",\"stream\":true}";
    }

    /** The streamed text and finish reason of one request. */
    private static String streamed(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).isEqualTo(200);
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (String line : response.body().split("\n")) {
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
            JsonNode choice = JSON.readTree(line.substring(6)).at("/choices/0");
            text.append(choice.path("text").asText());
            if (choice.hasNonNull("finish_reason")) finish = choice.get("finish_reason").asText();
        }
        assertThat(response.body()).endsWith("data: [DONE]\n\n");
        return text + " <" + finish + ">";
    }

    @Test
    @Timeout(180)
    void simultaneousSeededStreamsEachGetExactlyTheirSoloOutput() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        try (LlamaServer server = LlamaServer.start(TestModels.stories260K(), TestModels.config().withParallel(3))) {
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/completions");
            List<String> alone = new ArrayList<>();
            for (int i = 0; i < PROMPTS.length; i++) {
                alone.add(streamed(http.send(request(uri, i), HttpResponse.BodyHandlers.ofString())));
            }
            List<CompletableFuture<HttpResponse<String>>> together = new ArrayList<>();
            for (int i = 0; i < PROMPTS.length; i++) {
                together.add(http.sendAsync(request(uri, i), HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < PROMPTS.length; i++) {
                assertThat(streamed(together.get(i).get())).as("request %d", i).isEqualTo(alone.get(i));
            }
            assertThat(alone.stream().distinct().count()).isEqualTo(PROMPTS.length);
        }
    }

    private static HttpRequest request(URI uri, int i) {
        return HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body(i))).build();
    }
}
