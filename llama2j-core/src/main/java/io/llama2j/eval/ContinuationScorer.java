package io.llama2j.eval;

import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Log-likelihood of continuations after a context, the request lm-evaluation-harness calls
 * {@code loglikelihood} (HFLM {@code _encode_pair} and {@code _loglikelihood_tokens}):
 * <ul>
 *   <li>trailing whitespace of the context moves to the front of the continuation;</li>
 *   <li>the context is encoded alone, the continuation's tokens are those of encode(context +
 *       continuation) after the context's token count, so a word keeps the tokens it has in
 *       running text;</li>
 *   <li>when the two do not fit in the model's context, the context loses tokens on the left.</li>
 * </ul>
 * The context runs once; every continuation then starts from its KV cache (rewound), which gives
 * the same logits as running context + continuation from scratch. BOS starts the context when
 * asked (Llama 2 was trained with BOS at the start of each document).
 */
public final class ContinuationScorer {
    private final Llama model;
    private final Tokenizer tokenizer;
    private final boolean addBos;
    private final int batchSize;

    public ContinuationScorer(Llama model, Tokenizer tokenizer, boolean addBos, int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, found " + batchSize);
        this.model = model;
        this.tokenizer = tokenizer;
        this.addBos = addBos;
        this.batchSize = batchSize;
    }

    /** One score per continuation, in order. */
    public List<ContinuationScore> score(String context, List<String> continuations) {
        if (continuations.isEmpty()) throw new IllegalArgumentException("no continuations to score");
        // lm-evaluation-harness: "n_spaces = len(context) - len(context.rstrip())" moves to the continuation.
        String trimmedContext = context.stripTrailing();
        String movedSpaces = context.substring(trimmedContext.length());
        int[] contextIds = tokenizer.encode(trimmedContext, addBos, false);
        // The harness scores after a prefix token when the context is empty; BOS is Llama's.
        boolean prefixOnly = contextIds.length == 0;
        if (prefixOnly) contextIds = new int[]{tokenizer.bosId()};
        int[][] continuationIds = new int[continuations.size()][];
        int longest = 0;
        for (int i = 0; i < continuations.size(); i++) {
            String continuation = movedSpaces + continuations.get(i);
            int[] whole = prefixOnly ? tokenizer.encode(continuation, false, false)
                    : tokenizer.encode(trimmedContext + continuation, addBos, false);
            int contextLength = prefixOnly ? 0 : contextIds.length;
            if (whole.length <= contextLength) {
                throw new IllegalArgumentException("continuation " + i + " (\"" + continuations.get(i)
                        + "\") adds no tokens to the context");
            }
            continuationIds[i] = Arrays.copyOfRange(whole, contextLength, whole.length);
            longest = Math.max(longest, continuationIds[i].length);
        }
        int maxLength = model.config().contextLength();
        if (longest >= maxLength) {
            throw new IllegalArgumentException("a continuation of " + longest + " tokens does not fit in the model's context of "
                    + maxLength + " with at least one token of context");
        }
        if (contextIds.length + longest > maxLength) {
            contextIds = Arrays.copyOfRange(contextIds, contextIds.length - (maxLength - longest), contextIds.length);
        }

        InferenceState state = new InferenceState(model.config(), contextIds.length + longest, batchSize);
        float[] afterContext = model.forward(state, contextIds).clone();
        List<ContinuationScore> scores = new ArrayList<>(continuationIds.length);
        for (int[] ids : continuationIds) {
            state.rewind(contextIds.length);
            scores.add(scoreContinuation(state, afterContext, ids));
        }
        return scores;
    }

    /** Σ log p over {@code ids}; the first is predicted by the context's last logits. */
    private ContinuationScore scoreContinuation(InferenceState state, float[] afterContext, int[] ids) {
        double logLikelihood = LogProbabilities.of(afterContext, ids[0]);
        boolean greedy = LogProbabilities.argmax(afterContext) == ids[0];
        if (ids.length > 1) {
            float[][] logits = model.forwardAllLogits(state, Arrays.copyOf(ids, ids.length - 1));
            for (int k = 1; k < ids.length; k++) {
                logLikelihood += LogProbabilities.of(logits[k - 1], ids[k]);
                greedy &= LogProbabilities.argmax(logits[k - 1]) == ids[k];
            }
        }
        return new ContinuationScore(logLikelihood, ids.length, greedy);
    }
}
