package io.llama2j.cli;

import io.llama2j.eval.Perplexity;
import io.llama2j.eval.PerplexityResult;
import io.llama2j.eval.PerplexitySettings;
import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.model.Llama;
import io.llama2j.tensor.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * `llama2j perplexity`: the perplexity of a model over a text file, computed and printed as
 * llama.cpp's llama-perplexity does ("[1]4.1234,[2]…" then "Final estimate: PPL = … +/- …").
 */
@Command(name = "perplexity", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Perplexity of a model over a text, as llama.cpp's llama-perplexity computes it:",
                "the text is tokenized once with BOS and cut into chunks of --ctx tokens; each chunk starts",
                "with BOS and only its second half is scored. Prints the running perplexity per chunk and",
                "the final estimate with its error."})
public final class PerplexityCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, description = "Model file or folder, or OWNER/REPO[/FILE] after llama2j pull (default: the bundled models/llama2j-chat.gguf).")
    Path model;

    @Option(names = {"-z", "--tokenizer"}, description = "Tokenizer file (default: from the model).")
    Path tokenizer;

    @Option(names = {"-f", "--file"}, required = true, description = "Text file to score (UTF-8).")
    Path textFile;

    @Option(names = {"-c", "--ctx"}, description = "Tokens per chunk (default: " + PerplexitySettings.DEFAULT_CONTEXT_LENGTH
            + ", at most the model's context).")
    Integer context;

    @Option(names = {"-b", "--batch"}, description = "Tokens run through the model together (default: the chunk length); speed only.")
    Integer batch;

    @Option(names = "--chunks", defaultValue = "-1", description = "Chunks to score at most (default: all).")
    int chunks;

    @Option(names = {"-t", "--threads"}, description = "Threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        model = BundledModel.orBundled(model);
        if (threads != null && threads < 1) throw new ParameterException(spec.commandLine(), "--threads must be at least 1, found " + threads);
        if (chunks == 0 || chunks < -1) throw new ParameterException(spec.commandLine(), "--chunks must be positive, found " + chunks);
        if (!Files.isRegularFile(textFile)) throw new java.nio.file.NoSuchFileException(textFile.toString(), null, "text file not found");
        String text = Files.readString(textFile, StandardCharsets.UTF_8);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (LoadedModel m = ModelLoader.load(model, tokenizer);
             Parallel parallel = new Parallel(threads != null ? threads : Runtime.getRuntime().availableProcessors())) {
            int nCtx = context != null ? context : Math.min(PerplexitySettings.DEFAULT_CONTEXT_LENGTH, m.config().contextLength());
            int nBatch = batch != null ? batch : nCtx;
            PerplexitySettings settings = new PerplexitySettings(nCtx, nBatch, chunks);
            Perplexity perplexity = new Perplexity(new Llama(m.config(), m.weights(), parallel), m.tokenizer(), settings);
            int[] tokens = m.tokenizer().encode(text, true, false);
            int available = tokens.length / nCtx;
            err.printf(Locale.ROOT, "perplexity: %d tokens, %d chunks of %d (scoring %d), batch %d, %d threads%n",
                    tokens.length, available, nCtx, chunks < 0 ? available : Math.min(chunks, available), nBatch, parallel.threads());
            long start = System.nanoTime();
            PerplexityResult r = perplexity.score(tokens, (ppl, chunk) -> {
                out.printf(Locale.ROOT, "[%d]%.4f,", chunk, ppl);
                out.flush();
            });
            double seconds = (System.nanoTime() - start) / 1e9;
            out.println();
            out.println(r.finalEstimate());
            err.printf(Locale.ROOT, "perplexity: %d chunks, %d tokens scored, %.1f s (%.0f tokens/s)%n", r.chunks(), r.tokensScored(),
                    seconds, r.chunks() * (double) nCtx / seconds);
        }
        return 0;
    }
}
