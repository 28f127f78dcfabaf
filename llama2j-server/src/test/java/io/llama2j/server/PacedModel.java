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
        ModelSequence sequence = real.newSequence();
        return new ModelSequence() {
            @Override public int position() { return sequence.position(); }
            @Override public void reset() { sequence.reset(); }
            @Override public void close() { sequence.close(); }

            @Override
            public float[] feed(int token) {
                pace();
                return sequence.feed(token);
            }

            @Override
            public float[] feed(int[] tokens, int from, int to) {
                pace();
                return sequence.feed(tokens, from, to);
            }
        };
    }
}
