package io.llama2j.eval;

import java.util.List;

/**
 * The outcome of a perplexity run, with the numbers llama.cpp prints.
 *
 * @param chunks         chunks scored
 * @param tokensScored   predictions that entered the average
 * @param perplexity     exp(mean negative log-likelihood)
 * @param error          llama.cpp's "±": the standard error of the mean NLL times the perplexity
 *                       (first-order error propagation through exp), NaN with fewer than two tokens
 * @param runningPerplexity the perplexity over chunks 1..i after chunk i, as llama.cpp's "[i]ppl" list
 * @param meanNll        mean negative log-likelihood per scored token (nats)
 */
public record PerplexityResult(int chunks, long tokensScored, double perplexity, double error,
                               List<Double> runningPerplexity, double meanNll) {

    /** llama.cpp's last line: "Final estimate: PPL = 4.1576 +/- 0.03455". */
    public String finalEstimate() {
        return String.format(java.util.Locale.ROOT, "Final estimate: PPL = %.4f +/- %.5f", perplexity, error);
    }
}
