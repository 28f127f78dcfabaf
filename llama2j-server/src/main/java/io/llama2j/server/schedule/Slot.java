package io.llama2j.server.schedule;

import io.llama2j.generate.Generator;
import io.llama2j.server.engine.ModelSequence;
import io.llama2j.server.engine.ServedModel;
import io.llama2j.server.engine.TextStream;
import io.llama2j.server.engine.TokenSampler;
import io.llama2j.server.metrics.ServerMetrics;

/**
 * One of the server's N generation slots: a sequence (KV cache) of its own, reused from request
 * to request, and the per-request state (sampler, detokenizer, stop strings, penalties).
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

    /**
     * Advances the request by one scheduler step: up to {@code prefillChunk} prompt tokens, or
     * one generated token. Frees the slot when the request ends.
     */
    void step(int prefillChunk) {
        GenerationRequest request = job.request;
        int[] prompt = request.prompt();
        if (promptFed < prompt.length) {
            int end = Math.min(prompt.length, promptFed + prefillChunk);
            logits = sequence.feed(prompt, promptFed, end);
            metrics.promptTokensProcessed(end - promptFed);
            promptFed = end;
            return;
        }
        int token = sampler.sample(logits, history, generated);
        if (model.endsText(token)) {
            finish(FinishReason.STOP);
            return;
        }
        history[generated++] = token;
        metrics.completionTokenGenerated();
        boolean stopped = stops.append(text.accept(token));
        emit(stops.takeReleasable());
        if (stopped) {
            finish(FinishReason.STOP);
            return;
        }
        if (generated >= request.maxTokens() || sequence.position() >= model.contextLength()) {
            finish(FinishReason.LENGTH);
            return;
        }
        logits = sequence.feed(token);
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
