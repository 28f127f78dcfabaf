package io.llama2j.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Acceptance: the chat page at / in headless Chromium (Debian's chromium driven by
 * playwright-core, src/test/node/page-test.mjs): a typed message gets a streamed answer, the
 * conversation is kept, and Stop ends a long answer.
 */
class ChatPageTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final long NODE_TIMEOUT_SECONDS = 180;
    /** Per forward step: slow enough that the browser sees the answer grow piece by piece, even on a loaded machine. */
    private static final long PACE_MILLIS = 25;

    @Test
    @Timeout(240)
    void aTypedMessageGetsAStreamedAnswerOnTheChatPage() throws Exception {
        NodeScripts.requireInstalled("playwright-core");
        List<String> missing = new ArrayList<>();
        if (!Files.isExecutable(CHROMIUM)) missing.add(CHROMIUM.toString());
        NodeScripts.requireNothingMissing(missing, "run ./run-tests, which installs Debian's chromium");
        // Paced so that answers visibly stream and the long one is still running when Stop is pressed.
        PacedModel model = new PacedModel(TestModels.stories260K(), PACE_MILLIS);
        try (LlamaServer server = LlamaServer.start(model, TestModels.config().withApiKey(TestModels.API_KEY))) {
            NodeScripts.Result result = NodeScripts.run("page-test.mjs", Map.of(), NODE_TIMEOUT_SECONDS,
                    "http://127.0.0.1:" + server.port(), TestModels.API_KEY, CHROMIUM.toString());
            System.out.println(result.output());
            assertThat(result.exitCode()).as(result.output()).isZero();
            assertThat(result.output()).contains("page checks: 3 of 3 succeeded");
        }
    }
}
