package io.llama2j.generate;

import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.sampling.Sampler;

import java.util.Arrays;

/**
 * The generation loop shared by the CLI, the server and training code (rejection sampling,
 * evaluation): feed the prompt, then sample a token, hand it to the listener, feed it back, until
 * a stop token, a stop string, the token limit, a full context or cancellation.
 *
 * <p>KV cache: the prompt is appended at the state's current position, so a chat keeps earlier
 * turns in the cache and passes only the new tokens. Every emitted token is fed back except the
 * last one (its logits are never needed); a sampled stop token is not fed either. Callers
 * continuing the sequence read {@link InferenceState#position()}.
 */
public final class Generator {
    private final Llama model;

    public Generator(Llama model) {
        this.model = model;
    }

    public GenerationResult generate(InferenceState state, int[] promptIds, Sampler sampler, GenerationSettings settings,
                                     TokenDecoder decoder, TokenListener listener) {
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("the prompt must hold at least one token (BOS for an empty prompt)");
        }
        int room = state.maxSequenceLength() - state.position();
        if (promptIds.length > room) {
            throw new IllegalArgumentException("prompt of " + promptIds.length + " tokens does not fit in the " + room
                    + " free positions of the context (" + state.maxSequenceLength() + ")");
        }
        int vocab = model.config().vocabSize();
        for (int id : promptIds) {
            if (id < 0 || id >= vocab) throw new IllegalArgumentException("prompt token id " + id + " is outside the vocabulary [0, " + vocab + ")");
        }
        // history (prompt + generated) for the sampler's penalties
        int[] history = Arrays.copyOf(promptIds, promptIds.length + settings.maxNewTokens());
        int historyLength = promptIds.length;

        long start = System.nanoTime();
        float[] logits = model.forward(state, promptIds);
        long promptEnd = System.nanoTime();

        StopText stopText = new StopText(settings.stopStrings());
        int generated = 0;
        StopReason reason;
        while (true) {
            if (generated >= settings.maxNewTokens()) { reason = StopReason.MAX_TOKENS; break; }
            if (settings.cancelled().getAsBoolean()) { reason = StopReason.CANCELLED; break; }
            int next = sampler.sample(logits, history, historyLength);
            if (settings.isStopToken(next)) { reason = StopReason.STOP_TOKEN; break; }
            history[historyLength++] = next;
            generated++;
            boolean stopped = stopText.append(decoder.accept(next));
            listener.onToken(next, stopText.takeReleasable());
            if (stopped) { reason = StopReason.STOP_STRING; break; }
            if (generated >= settings.maxNewTokens()) { reason = StopReason.MAX_TOKENS; break; }
            if (state.position() >= state.maxSequenceLength()) { reason = StopReason.CONTEXT_FULL; break; }
            logits = model.forward(state, next);
        }
        String rest = stopText.flush();
        if (!rest.isEmpty()) listener.onToken(-1, rest);
        long end = System.nanoTime();
        return new GenerationResult(Arrays.copyOfRange(history, promptIds.length, historyLength), stopText.text(), reason,
                promptIds.length, promptEnd - start, end - promptEnd);
    }

    /**
     * Decoded text with stop-string detection. Text that could still become the start of a stop
     * string is held back from the listener until it cannot. Public for loops that step
     * sequences themselves (the server's scheduler).
     */
    public static final class StopText {
        private final java.util.List<String> stops;
        private final StringBuilder text = new StringBuilder();
        private int released;
        private boolean stopped;

        public StopText(java.util.List<String> stops) { this.stops = stops; }

        /** Appends a token's text; true when the text now contains a stop string (it is cut before it). */
        public boolean append(String piece) {
            if (stopped) return true;
            text.append(piece);
            int cut = -1;
            for (String s : stops) {
                int from = Math.max(0, released - s.length());
                int at = text.indexOf(s, from);
                if (at >= 0 && (cut < 0 || at < cut)) cut = at;
            }
            if (cut >= 0) {
                text.setLength(cut);
                stopped = true;
            }
            return stopped;
        }

        /** Text that can no longer be part of a stop string, not handed out before. */
        public String takeReleasable() {
            int safe = text.length();
            if (!stopped) {
                for (String s : stops) {
                    for (int k = Math.min(s.length() - 1, text.length()); k > 0; k--) {
                        if (text.length() - k >= released && text.substring(text.length() - k).equals(s.substring(0, k))) {
                            safe = Math.min(safe, text.length() - k);
                            break;
                        }
                    }
                }
            }
            String out = text.substring(released, Math.max(released, safe));
            released = Math.max(released, safe);
            return out;
        }

        /** Everything not handed out yet (at the end of generation). */
        public String flush() {
            String out = text.substring(released);
            released = text.length();
            return out;
        }

        public String text() { return text.toString(); }
    }
}
