package io.llama2j.cli;

import io.llama2j.chat.InfillFormat;
import io.llama2j.generate.GenerationResult;
import io.llama2j.generate.GenerationSettings;
import io.llama2j.generate.Generator;
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

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * `llama2j generate`: continue a prompt. Only the generated text goes to stdout, streamed; the
 * timings go to stderr, so the output can be piped.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate text from a prompt (or from BOS when no prompt is given).",
                "Writes the generated text to stdout as it is produced and the timings to stderr.",
                "Sampling defaults are llama2.c run.c's: temperature 1.0, top-p 0.9."})
public final class GenerateCommand implements Callable<Integer> {

    /** run.c's defaults for plain generation. */
    static final float DEFAULT_TEMPERATURE = 1.0f;
    static final float DEFAULT_TOP_P = 0.9f;

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, description = "Model file or folder (llama2.c .bin, GGUF, ...) (default: the bundled models/llama2j-chat.gguf).")
    Path model;

    @Option(names = {"-z", "--tokenizer"}, description = "Tokenizer file (default: from the model; tokenizer.bin next to a llama2.c .bin).")
    Path tokenizer;

    @Option(names = {"-p", "--prompt"}, description = "Prompt text (encoded with BOS).")
    String prompt;

    @Option(names = "--prompt-ids", description = "Prompt as token ids, e.g. \"1 403 407\" (instead of -p).")
    String promptIds;

    @Option(names = "--infill-prefix", description = "Code Llama fill-in-the-middle: the code before the gap (with --infill-suffix, instead of -p).")
    String infillPrefix;

    @Option(names = "--infill-suffix", description = "Code Llama fill-in-the-middle: the code after the gap; generation stops at <EOT>.")
    String infillSuffix;

    @Option(names = "--suffix-first", description = "Infill in suffix-prefix-middle order (<PRE> <SUF>{suffix} <MID> {prefix}).")
    boolean suffixFirst;

    @Option(names = {"-n", "--tokens"}, defaultValue = "256", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    ActivationOptions activations;

    @Option(names = "--stop", description = "Stop when the text contains this string (repeatable).")
    List<String> stops = List.of();

    @Option(names = "--lora", description = "PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors), applied unmerged.")
    Path lora;

    @Option(names = {"-t", "--threads"}, description = "Threads (default: all cores).")
    Integer threads;

    @Option(names = {"-c", "--context"}, description = "KV cache length (default: prompt + tokens, at most the model's context).")
    Integer context;

    @Option(names = "--repeat", defaultValue = "1",
            description = "Run the same generation this many times and report each run's timings (the JIT warms up"
                    + " over the first runs); the text is written once (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--output-ids", description = "Print the generated token ids on one line instead of the text.")
    boolean outputIds;

    @Override
    public Integer call() throws Exception {
        model = BundledModel.orBundled(model);
        if (prompt != null && promptIds != null) {
            throw new ParameterException(spec.commandLine(), "use either -p/--prompt or --prompt-ids, not both");
        }
        validateInfillOptions();
        if (threads != null && threads < 1) throw new ParameterException(spec.commandLine(), "--threads must be at least 1, found " + threads);
        if (tokens < 0) throw new ParameterException(spec.commandLine(), "-n must be >= 0, found " + tokens);
        if (repeat < 1) throw new ParameterException(spec.commandLine(), "--repeat must be at least 1, found " + repeat);
        SamplerConfig samplerConfig = sampling.toConfig(spec.commandLine(), DEFAULT_TEMPERATURE, DEFAULT_TOP_P);
        try (LoadedModel m = ModelLoader.load(model, tokenizer)) {
            run(m, samplerConfig);
        }
        return 0;
    }

    private void validateInfillOptions() {
        boolean infill = infillPrefix != null || infillSuffix != null;
        if (infill && (infillPrefix == null || infillSuffix == null)) {
            throw new ParameterException(spec.commandLine(), "--infill-prefix and --infill-suffix go together, found only "
                    + (infillPrefix != null ? "--infill-prefix" : "--infill-suffix"));
        }
        if (infill && (prompt != null || promptIds != null)) {
            throw new ParameterException(spec.commandLine(), "use either --infill-prefix/--infill-suffix or "
                    + (prompt != null ? "-p/--prompt" : "--prompt-ids") + ", not both");
        }
        if (suffixFirst && !infill) {
            throw new ParameterException(spec.commandLine(), "--suffix-first needs --infill-prefix and --infill-suffix");
        }
    }

    private void run(LoadedModel m, SamplerConfig samplerConfig) throws java.io.IOException {
        InfillFormat infill = infillPrefix != null ? new InfillFormat(m.tokenizer()) : null;
        int[] ids = infill != null ? infill.encode(infillPrefix, infillSuffix, suffixFirst)
                : promptIds != null ? parseIds(promptIds)
                : prompt != null ? m.tokenizer().encode(prompt, true, false)
                : new int[]{m.tokenizer().bosId()};
        // Meta's text_infilling stops at <EOT>; EOS (and the model's other stop ids) still end it too.
        int[] stopTokenIds = infill == null ? m.stopTokenIds()
                : java.util.stream.IntStream.concat(java.util.stream.IntStream.of(infill.endOfTextId()),
                        Arrays.stream(m.stopTokenIds())).distinct().toArray();
        int contextLength = context != null ? context : Math.min(m.config().contextLength(), ids.length + tokens);

        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Parallel parallel = new Parallel(threads != null ? threads : Runtime.getRuntime().availableProcessors())) {
            Llama llama = new Llama(m.config(), m.weights(), parallel, lora == null ? null : PeftAdapterFiles.read(lora, m.config()))
                    .withActivationPrecision(activations.precision);
            if (llama.productWeights().heapTooSmall()) err.println("llama2j: " + llama.productWeights().note());
            Generator generator = new Generator(llama);
            GenerationSettings settings = new GenerationSettings(tokens, stopTokenIds, stops, null);
            for (int run = 0; run < repeat; run++) {
                boolean print = run == 0;
                InferenceState state = new InferenceState(m.config(), contextLength, InferenceState.DEFAULT_PROMPT_BATCH);
                // the middle keeps its leading space (decode_infilling), unlike text after BOS
                StreamingDecoder decoder = infill != null ? infill.middleDecoder() : m.tokenizer().streamingDecoder();
                long cpuStart = processCpuNanos();
                GenerationResult r = generator.generate(state, ids, new Sampler(samplerConfig, m.config().vocabSize()),
                        settings, decoder::accept, (id, text) -> {
                            if (print && !outputIds && !text.isEmpty()) {
                                out.print(text);
                                out.flush();
                            }
                        });
                if (print && outputIds) {
                    out.println(Arrays.stream(r.tokens()).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
                } else if (print) {
                    out.print(decoder.flush());
                    out.println();
                }
                out.flush();
                long cpuNanos = processCpuNanos() - cpuStart;
                // tokens per CPU-second: a speed that other processes on a shared machine disturb less than wall time
                String cpu = cpuNanos > 0 ? String.format(java.util.Locale.ROOT, ", %.0f tokens per CPU-second",
                        (r.promptTokens() + r.tokens().length) * 1e9 / cpuNanos) : "";
                err.println((repeat > 1 ? "run " + (run + 1) + ": " : "") + r.timingSummary() + ", " + parallel.threads()
                        + " thread" + (parallel.threads() == 1 ? "" : "s") + (samplerConfig.isGreedy() ? "" : ", seed " + samplerConfig.seed())
                        + (repeat > 1 ? cpu : ""));
            }
        }
    }

    /** CPU time of the whole process (every thread), or 0 where the JVM cannot tell. */
    private static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return Math.max(0, os.getProcessCpuTime());
        }
        return 0;
    }

    private int[] parseIds(String text) {
        try {
            return Arrays.stream(text.trim().split("[\\s,]+")).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new ParameterException(spec.commandLine(), "--prompt-ids must be integers separated by spaces, found \"" + text + "\"");
        }
    }
}
