package io.llama2j.cli;

import io.llama2j.chat.ChatFormat;
import io.llama2j.generate.ChatSession;
import io.llama2j.generate.GenerationResult;
import io.llama2j.generate.StopReason;
import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.model.InferenceState;
import io.llama2j.lora.PeftAdapterFiles;
import io.llama2j.model.Llama;
import io.llama2j.sampling.Sampler;
import io.llama2j.sampling.SamplerConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.tokenizer.StreamingDecoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * `llama2j chat`: an interactive Llama 2 chat in the terminal. One line per user message; the
 * answer streams to stdout. /reset starts over, /exit (or end of input) quits, Ctrl-C stops the
 * answer being written. The KV cache is kept across turns ({@link ChatSession}).
 */
@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Chat with a Llama 2 chat model, in Meta's chat format.",
                "Type a message and press Enter. /reset starts a new conversation, /exit or end of input (Ctrl-D) quits,",
                "Ctrl-C stops the current answer. Sampling defaults are Meta's: temperature 0.6, top-p 0.9."})
public final class ChatCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, description = "Model file or folder (GGUF, llama2.c .bin, ...) (default: the bundled models/llama2j-chat.gguf).")
    Path model;

    @Option(names = {"-z", "--tokenizer"}, description = "Tokenizer file (default: from the model).")
    Path tokenizer;

    @Option(names = "--system", description = "System prompt for the conversation.")
    String system;

    @Option(names = {"-n", "--max-answer-tokens"}, description = "Most tokens per answer (default: until the context is full).")
    Integer maxAnswerTokens;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    ActivationOptions activations;

    @Option(names = "--lora", description = "PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors), applied unmerged.")
    Path lora;

    @Option(names = {"-t", "--threads"}, description = "Threads (default: all cores).")
    Integer threads;

    @Option(names = {"-c", "--context"}, description = "KV cache length (default: the model's context length).")
    Integer context;

    @Option(names = "--timings", description = "Print each answer's speed to stderr.")
    boolean timings;

    @Override
    public Integer call() throws Exception {
        model = BundledModel.orBundled(model);
        if (threads != null && threads < 1) throw new ParameterException(spec.commandLine(), "--threads must be at least 1, found " + threads);
        if (maxAnswerTokens != null && maxAnswerTokens < 1) {
            throw new ParameterException(spec.commandLine(), "--max-answer-tokens must be at least 1, found " + maxAnswerTokens);
        }
        SamplerConfig samplerConfig = sampling.toConfig(spec.commandLine(), SamplerConfig.META_CHAT_TEMPERATURE, SamplerConfig.META_CHAT_TOP_P);
        try (LoadedModel m = ModelLoader.load(model, tokenizer);
             Parallel parallel = new Parallel(threads != null ? threads : Runtime.getRuntime().availableProcessors())) {
            int contextLength = context != null ? context : m.config().contextLength();
            Llama llama = new Llama(m.config(), m.weights(), parallel, lora == null ? null : PeftAdapterFiles.read(lora, m.config()))
                    .withActivationPrecision(activations.precision);
            if (llama.productWeights().heapTooSmall()) spec.commandLine().getErr().println("llama2j: " + llama.productWeights().note());
            InferenceState state = new InferenceState(m.config(), contextLength, InferenceState.DEFAULT_PROMPT_BATCH);
            ChatSession session = new ChatSession(llama, new ChatFormat(m.tokenizer()), state, system, m.tokenizer().eosId());
            Sampler sampler = new Sampler(samplerConfig, m.config().vocabSize());
            repl(session, sampler, m);
        }
        return 0;
    }

    private void repl(ChatSession session, Sampler sampler, LoadedModel m) throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean interactive = System.console() != null;
        AtomicBoolean answering = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        // Ctrl-C while an answer is written stops that answer; at the prompt it quits as usual
        SignalHandler previous = installInterruptHandler(answering, stop);
        try {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (true) {
                if (interactive) {
                    out.print("> ");
                    out.flush();
                }
                String line = in.readLine();
                if (line == null) break; // end of input
                String message = line.strip();
                if (message.isEmpty()) continue;
                if (message.equals("/exit")) break;
                if (message.equals("/reset")) {
                    session.reset();
                    err.println("(new conversation)");
                    continue;
                }
                StreamingDecoder decoder = m.tokenizer().streamingDecoder();
                stop.set(false);
                answering.set(true);
                GenerationResult r;
                try {
                    r = session.answer(message, sampler, maxAnswerTokens != null ? maxAnswerTokens : Integer.MAX_VALUE,
                            stop::get, decoder::accept, (id, text) -> {
                                out.print(text);
                                out.flush();
                            });
                } catch (IllegalStateException e) { // the conversation outgrew the context
                    err.println(e.getMessage());
                    continue;
                } finally {
                    answering.set(false);
                }
                out.print(decoder.flush());
                out.println();
                out.flush();
                if (r.stopReason() == StopReason.CANCELLED) err.println("(stopped)");
                if (r.stopReason() == StopReason.CONTEXT_FULL) err.println("(context full: /reset to start a new conversation)");
                if (timings) err.println(r.timingSummary());
            }
        } finally {
            if (previous != null) Signal.handle(new Signal("INT"), previous);
        }
    }

    /** Installs the Ctrl-C handler; returns the previous one (null where signals are unavailable). */
    private static SignalHandler installInterruptHandler(AtomicBoolean answering, AtomicBoolean stop) {
        try {
            return Signal.handle(new Signal("INT"), signal -> {
                if (answering.get()) {
                    stop.set(true);
                } else {
                    System.exit(130); // 128 + SIGINT, as a shell reports an interrupted program
                }
            });
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            return null;
        }
    }
}
