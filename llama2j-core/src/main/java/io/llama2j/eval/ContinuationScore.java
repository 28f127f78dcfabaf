package io.llama2j.eval;

/**
 * How likely a model finds a continuation after a context.
 *
 * @param logLikelihood Σ log p(token | everything before it) over the continuation's tokens (nats)
 * @param tokens        tokens in the continuation
 * @param greedy        whether every continuation token is the model's argmax choice
 *                      (lm-evaluation-harness's {@code is_greedy})
 */
public record ContinuationScore(double logLikelihood, int tokens, boolean greedy) {}
