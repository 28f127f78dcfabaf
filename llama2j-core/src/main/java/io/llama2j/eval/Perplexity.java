package io.llama2j.eval;

import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ObjIntConsumer;

/**
 * Perplexity of a model over a text, computed exactly as llama.cpp's llama-perplexity does
 * (examples/perplexity, {@code perplexity()}), so figures can be compared with published ones:
 * <ol>
 *   <li>the whole text is tokenized once, with BOS;</li>
 *   <li>it is cut into consecutive chunks of n_ctx tokens (a partial last chunk is dropped);</li>
 *   <li>the first token of each chunk is replaced by BOS and the chunk runs from an empty cache;</li>
 *   <li>only the second half is scored: the logits at positions n_ctx/2 .. n_ctx-2 predict the
 *       tokens that follow them, so every scored token has at least n_ctx/2 tokens of context.</li>
 * </ol>
 * PPL = exp(mean NLL). The "±" is llama.cpp's: with v the per-token NLLs,
 * sqrt((mean(v²) - mean(v)²) / (count - 1)) · PPL, the standard error of the mean NLL carried
 * through exp to first order.
 */
public final class Perplexity {
    private final Llama model;
    private final Tokenizer tokenizer;
    private final PerplexitySettings settings;

    public Perplexity(Llama model, Tokenizer tokenizer, PerplexitySettings settings) {
        if (settings.contextLength() > model.config().contextLength()) {
            throw new IllegalArgumentException("perplexity context " + settings.contextLength()
                    + " exceeds the model's context length " + model.config().contextLength());
        }
        if (tokenizer.bosId() < 0) {
            throw new IllegalArgumentException("perplexity puts BOS at the start of every chunk, but the tokenizer has no BOS");
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.settings = settings;
    }

    /** Tokenizes {@code text} with BOS and scores it; see {@link #score(int[], ObjIntConsumer)}. */
    public PerplexityResult score(String text, ObjIntConsumer<Double> afterChunk) {
        return score(tokenizer.encode(text, true, false), afterChunk);
    }

    /**
     * Scores already tokenized text. {@code afterChunk} (may be null) receives the running
     * perplexity and the 1-based chunk number after each chunk.
     */
    public PerplexityResult score(int[] tokens, ObjIntConsumer<Double> afterChunk) {
        int nCtx = settings.contextLength();
        // llama.cpp refuses texts shorter than two chunks; so do we, with the numbers.
        if (tokens.length < 2 * nCtx) {
            throw new IllegalArgumentException("the text has " + tokens.length + " tokens; perplexity with a context of "
                    + nCtx + " needs at least " + 2 * nCtx + " (two chunks)");
        }
        int available = tokens.length / nCtx;
        int chunks = settings.maxChunks() == PerplexitySettings.ALL_CHUNKS ? available : Math.min(settings.maxChunks(), available);
        int first = settings.firstScoredPosition();

        InferenceState state = new InferenceState(model.config(), nCtx, Math.min(settings.batchSize(), nCtx));
        int[] chunk = new int[nCtx];
        double nll = 0, nllSquared = 0;
        long count = 0;
        List<Double> running = new ArrayList<>(chunks);
        for (int c = 0; c < chunks; c++) {
            System.arraycopy(tokens, c * nCtx, chunk, 0, nCtx);
            chunk[0] = tokenizer.bosId();
            state.rewind(0);
            float[][] logits = model.forwardAllLogits(state, chunk);
            for (int p = first; p < nCtx - 1; p++) {
                double v = -LogProbabilities.of(logits[p], chunk[p + 1]);
                nll += v;
                nllSquared += v * v;
                count++;
            }
            double ppl = Math.exp(nll / count);
            running.add(ppl);
            if (afterChunk != null) afterChunk.accept(ppl, c + 1);
        }
        double mean = nll / count;
        double variance = nllSquared / count - mean * mean;
        double perplexity = Math.exp(mean);
        double error = count > 1 && variance > 0 ? Math.sqrt(variance / (count - 1)) * perplexity : Double.NaN;
        return new PerplexityResult(chunks, count, perplexity, error, List.copyOf(running), mean);
    }
}
