package io.llama2j.server;

import io.llama2j.server.engine.ChatTurn;
import io.llama2j.server.engine.ModelSequence;
import io.llama2j.server.engine.SamplingSettings;
import io.llama2j.server.engine.ServedModel;
import io.llama2j.server.engine.TextStream;
import io.llama2j.server.engine.TokenSampler;

import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * The real engine with a test-controlled pace: every forward step first waits {@code delayMillis}
 * and then for the gate to be open, so tests can hold requests in their slots (queue, 429,
 * disconnect, shutdown) without depending on how fast the machine is.
 */
final class PacedModel implements ServedModel {

    private final ServedModel real;
    private final long delayMillis;
    private final Semaphore gate = new Semaphore(Integer.MAX_VALUE);

    PacedModel(ServedModel real, long delayMillis) {
        this.real = real;
        this.delayMillis = delayMillis;
    }

    void closeGate() {
        gate.acquireUninterruptibly(Integer.MAX_VALUE);
    }

    void openGate() {
        gate.release(Integer.MAX_VALUE);
    }

    @Override public String id() { return real.id(); }
    @Override public int contextLength() { return real.contextLength(); }
    @Override public int[] tokenize(String text, boolean withBos) { return real.tokenize(text, withBos); }
    @Override public int[] encodeChat(List<ChatTurn> dialog) { return real.encodeChat(dialog); }
    @Override public boolean endsText(int token) { return real.endsText(token); }
    @Override public boolean isValidToken(int token) { return real.isValidToken(token); }
    @Override public TextStream newTextStream() { return real.newTextStream(); }
    @Override public TokenSampler newSampler(SamplingSettings settings) { return real.newSampler(settings); }
    @Override public float[] embed(int[] tokens) { return real.embed(tokens); }

    private void pace() {
        try {
            Thread.sleep(delayMillis);
            gate.acquire();
            gate.release();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public ModelSequence newSequence() {
        return new PacedSequence(real.newSequence());
    }

    /** One batched step is one forward step: paced once. */
    @Override
    public float[][] feedEach(ModelSequence[] sequences, int[] tokens) {
        pace();
        ModelSequence[] inner = new ModelSequence[sequences.length];
        for (int b = 0; b < sequences.length; b++) inner[b] = ((PacedSequence) sequences[b]).inner;
        return real.feedEach(inner, tokens);
    }

    private final class PacedSequence implements ModelSequence {
        private final ModelSequence inner;

        PacedSequence(ModelSequence inner) {
            this.inner = inner;
        }

        @Override public int position() { return inner.position(); }
        @Override public void reset() { inner.reset(); }
        @Override public void close() { inner.close(); }

        @Override
        public float[] feed(int token) {
            pace();
            return inner.feed(token);
        }

        @Override
        public float[] feed(int[] tokens, int from, int to) {
            pace();
            return inner.feed(tokens, from, to);
        }
    }
}
