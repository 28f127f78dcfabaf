package io.llama2j.server.schedule;

import io.llama2j.generate.Generator;
import io.llama2j.server.engine.ModelSequence;
import io.llama2j.server.engine.ServedModel;
import io.llama2j.server.engine.TextStream;
import io.llama2j.server.engine.TokenSampler;
import io.llama2j.server.metrics.ServerMetrics;

/**
 * One of the server's N generation slots: a sequence (KV cache) of its own, reused from request
 * to request, and the per-request state (sampler, detokenizer, stop strings, penalties). A
 * request first prefills its prompt in chunks, then alternates {@link #sampleNext} and
 * {@link #accept} around the scheduler's batched step.
 */
final class Slot {

    private final ServedModel model;
    private final ServerMetrics metrics;
    private ModelSequence sequence;
    private Job job;
    private int promptFed;
    private int generated;
    private float[] logits;
    private TokenSampler sampler;
    private TextStream text;
    private Generator.StopText stops;
    /** The tokens generated so far, for the sampler's presence/frequency penalties. */
    private int[] history;

    Slot(ServedModel model, ServerMetrics metrics) {
        this.model = model;
        this.metrics = metrics;
    }

    boolean busy() {
        return job != null;
    }

    Job job() {
        return job;
    }

    void start(Job next) {
        if (sequence == null) {
            sequence = model.newSequence();
        } else {
            sequence.reset();
        }
        job = next;
        promptFed = 0;
        generated = 0;
        logits = null;
        sampler = model.newSampler(next.request.sampling());
        text = model.newTextStream();
        stops = new Generator.StopText(next.request.stop());
        history = new int[next.request.maxTokens()];
        next.listener.onStarted();
    }

    /** Whether prompt tokens are still to be fed (the slot is not decoding yet). */
    boolean prefilling() {
        return promptFed < job.request.prompt().length;
    }

    ModelSequence sequence() {
        return sequence;
    }

    /** Feeds the next chunk of at most {@code prefillChunk} prompt tokens in one batched pass. */
    void prefill(int prefillChunk) {
        int[] prompt = job.request.prompt();
        int end = Math.min(prompt.length, promptFed + prefillChunk);
        logits = sequence.feed(prompt, promptFed, end);
        metrics.promptTokensProcessed(end - promptFed);
        promptFed = end;
    }

    /**
     * Samples the next token from the last logits and emits its text. Returns the token the
     * sequence must be fed next (the scheduler feeds the decoding slots together, then calls
     * {@link #accept}), or -1 when the request ended here and the slot is free again.
     */
    int sampleNext() {
        GenerationRequest request = job.request;
        int token = sampler.sample(logits, history, generated);
        if (model.endsText(token)) {
            finish(FinishReason.STOP);
            return -1;
        }
        history[generated++] = token;
        metrics.completionTokenGenerated();
        boolean stopped = stops.append(text.accept(token));
        emit(stops.takeReleasable());
        if (stopped) {
            finish(FinishReason.STOP);
            return -1;
        }
        if (generated >= request.maxTokens() || sequence.position() >= model.contextLength()) {
            finish(FinishReason.LENGTH);
            return -1;
        }
        return token;
    }

    /** The logits after the token {@link #sampleNext} returned was fed. */
    void accept(float[] nextLogits) {
        logits = nextLogits;
    }

    /** Ends the request with an error event (engine failure or shutdown) and frees the slot. */
    void fail(String message) {
        Job failed = job;
        release();
        failed.listener.onFailed(message);
    }

    /** Frees the slot without an event (the client went away). */
    void release() {
        job = null;
        sampler = null;
        text = null;
        stops = null;
        history = null;
        logits = null;
    }

    private void emit(String piece) {
        if (!piece.isEmpty()) {
            job.listener.onText(piece);
        }
    }

    private void finish(FinishReason reason) {
        // Held-back bytes and text; after a stop string, StopText takes and releases nothing more.
        stops.append(text.flush());
        emit(stops.flush());
        Job finished = job;
        int promptTokens = finished.request.prompt().length;
        int completionTokens = generated;
        release();
        finished.listener.onFinished(reason, promptTokens, completionTokens);
    }
}
