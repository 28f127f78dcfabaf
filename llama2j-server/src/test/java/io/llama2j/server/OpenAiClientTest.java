package io.llama2j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llama2j.TestData;
import io.llama2j.server.engine.ServedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Acceptance: the official openai npm client (src/test/node/client-test.mjs) against the server
 * running stories260K in-process on a free loopback port, with an API key: chat, streaming,
 * completions, models, embeddings, every error case, and simultaneous seeded streams that must
 * each get exactly their solo output.
 */
class OpenAiClientTest {

    private static final long NODE_TIMEOUT_SECONDS = 240;

    @Test
    @Timeout(300)
    void theOpenAiClientGetsEveryEndpointAndEveryErrorInOpenAisShapes() throws Exception {
        NodeScripts.requireInstalled("openai");
        ServedModel model = TestModels.stories260K();
        try (LlamaServer server = LlamaServer.start(model, TestModels.config().withParallel(4).withApiKey(TestModels.API_KEY))) {
            NodeScripts.Result result = NodeScripts.run("client-test.mjs",
                    Map.of("PROMPT_IDS", "[1, 403, 407, 261, 378]"), NODE_TIMEOUT_SECONDS,
                    "http://127.0.0.1:" + server.port(), TestModels.API_KEY, model.id());
            System.out.println(result.output());
            assertThat(result.exitCode()).as(result.output()).isZero();

            JsonNode observed = observed(result.output());
            // "Once upon a time" greedy must continue exactly as llama2.c's run.c does.
            JsonNode reference = new ObjectMapper().readTree(
                    Files.readString(TestData.file("reference/stories260K-ref-prompt.json")));
            String greedy = observed.get("completionGreedy").asText();
            assertThat(greedy).isNotBlank();
            assertThat(reference.get("greedy_text").asText().strip()).startsWith(greedy.strip());
            assertThat(observed.get("completionPromptTokens").asInt()).isEqualTo(5);
            assertThat(observed.get("embeddingDimension").asInt()).isEqualTo(64);
        }
    }

    private static JsonNode observed(String output) throws Exception {
        for (String line : output.split("\n")) {
            if (line.startsWith("observed: ")) return new ObjectMapper().readTree(line.substring("observed: ".length()));
        }
        throw new AssertionError("the client script printed no observations:\n" + output);
    }
}
