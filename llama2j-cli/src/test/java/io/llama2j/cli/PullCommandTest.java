package io.llama2j.cli;

import io.llama2j.hub.FakeHub;
import io.llama2j.hub.HubConfig;
import io.llama2j.hub.ModelResolver;
import io.llama2j.TestData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PullCommandTest {
    @TempDir
    Path cache;
    FakeHub hub;
    byte[] model;

    @BeforeEach
    void start() throws Exception {
        hub = new FakeHub();
        model = Files.readAllBytes(TestData.file("stories260K.gguf"));
        hub.put("ggml-org/models", "stories260K.gguf", model);
        hub.put("meta-llama/Llama-2-7b", "params.json", "{}".getBytes());
        hub.gated.add("meta-llama/Llama-2-7b");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private CliRun pull(Map<String, String> extraEnvironment, String... args) {
        Map<String, String> env = new java.util.HashMap<>(extraEnvironment);
        env.put(HubConfig.ENDPOINT_VARIABLE, hub.endpoint().toString());
        env.put(HubConfig.CACHE_VARIABLE, cache.toString());
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new PullCommand(env));
        cl.setExecutionExceptionHandler(new UserErrorHandler());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new CliRun(cl.execute(args), out.toString(), err.toString());
    }

    @Test
    void pullWritesTheCachedPathToStdoutAndTheModelThenLoadsByItsHubName() throws Exception {
        CliRun r = pull(Map.of(), "ggml-org/models/stories260K.gguf");

        Path expected = cache.resolve("ggml-org/models/stories260K.gguf");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out().strip()).isEqualTo(expected.toString());
        assertThat(r.err()).contains("100%");
        assertThat(Files.readAllBytes(expected)).isEqualTo(model);
        HubConfig config = new HubConfig(hub.endpoint(), cache, null);
        assertThat(ModelResolver.resolve(Path.of("ggml-org/models"), config)).isEqualTo(expected);
    }

    @Test
    void aGatedRepositoryWithoutATokenIsOneClearLine() {
        CliRun r = pull(Map.of(), "meta-llama/Llama-2-7b/params.json");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("llama2j pull: ").contains("HF_TOKEN").doesNotContain("Exception");
        assertThat(pull(Map.of(HubConfig.TOKEN_VARIABLE, FakeHub.TOKEN), "meta-llama/Llama-2-7b/params.json").exitCode()).isZero();
    }

    @Test
    void aMalformedReferenceIsAParameterError() {
        assertThat(pull(Map.of(), "not-a-repo").exitCode()).isEqualTo(2);
    }
}
