package io.llama2j.cli;

import io.llama2j.server.LlamaServer;
import io.llama2j.server.ServerConfig;
import io.llama2j.server.engine.EngineModel;
import io.llama2j.server.schedule.Scheduler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * `llama2j serve`: loads a model and serves the OpenAI-compatible API and the chat page until
 * SIGTERM/SIGINT, then drains (running streams finish or end with an error event) and exits.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve a model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, "
                + "/v1/embeddings, /v1/models), with /health, /metrics and a chat page at /.")
public final class ServeCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, description = "Model file or folder (llama2.c .bin, GGUF, HF folder) (default: the bundled models/llama2j-chat.gguf).")
    Path model;

    @Option(names = {"-z", "--tokenizer"}, description = "Tokenizer file, when it is not found next to the model.")
    Path tokenizer;

    @Option(names = "--host", description = "Interface to listen on (default: ${DEFAULT-VALUE}).")
    String host = ServerConfig.DEFAULT_HOST;

    @Option(names = "--port", description = "TCP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port = ServerConfig.DEFAULT_PORT;

    @Option(names = "--parallel", description = "Requests generated at once, each with its own KV cache (default: ${DEFAULT-VALUE}).")
    int parallel = ServerConfig.DEFAULT_PARALLEL;

    @Option(names = "--ctx", description = "Context length per request (default: the model's).")
    Integer contextLength;

    @Option(names = "--api-key", description = "Require \"Authorization: Bearer KEY\" on /v1 requests (default: the LLAMA2J_API_KEY environment variable, else none).")
    String apiKey = System.getenv("LLAMA2J_API_KEY");

    @Option(names = "--queue", description = "Requests that may wait for a slot before 429 (default: ${DEFAULT-VALUE}).")
    int queue = ServerConfig.DEFAULT_QUEUE;

    @Option(names = "--lora", description = "PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors), applied unmerged.")
    Path lora;

    @Option(names = "--model-id", description = "The id clients use in \"model\" (default: the file name without extension).")
    String modelId;

    @Mixin
    ActivationOptions activations;

    @Override
    public Integer call() throws Exception {
        model = BundledModel.orBundled(model);
        ServerConfig config = new ServerConfig(host, port, parallel, queue, apiKey, ServerConfig.DEFAULT_DRAIN_TIMEOUT,
                Scheduler.Config.DEFAULT_PREFILL_CHUNK, ServerConfig.DEFAULT_MAX_BODY_BYTES);
        EngineModel served = EngineModel.load(model, tokenizer, contextLength, modelId, lora, activations.precision);
        LlamaServer server = LlamaServer.start(served, config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            try {
                served.close();
            } catch (Exception e) {
                System.err.println("llama2j serve: could not release the model files: " + e.getMessage());
            }
            stopped.countDown();
        }, "llama2j-serve-shutdown"));
        stopped.await();
        return 0;
    }
}
