package io.llama2j.server.api;

import io.llama2j.server.schedule.FinishReason;
import io.llama2j.server.schedule.GenerationListener;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Hands one request's output from the scheduler thread to its HTTP thread: the scheduler only
 * enqueues (never blocks), the HTTP thread takes events and writes them to the client.
 */
final class GenerationEvents implements GenerationListener {

    sealed interface Event permits Text, Finished, Failed {
    }

    record Text(String text) implements Event {
    }

    record Finished(FinishReason reason, int promptTokens, int completionTokens) implements Event {
    }

    record Failed(String message) implements Event {
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

    @Override
    public void onText(String text) {
        events.add(new Text(text));
    }

    @Override
    public void onFinished(FinishReason reason, int promptTokens, int completionTokens) {
        events.add(new Finished(reason, promptTokens, completionTokens));
    }

    @Override
    public void onFailed(String message) {
        events.add(new Failed(message));
    }

    Event next() throws InterruptedException {
        return events.take();
    }

    /** The next event, or null when none came within the timeout. */
    Event next(long timeoutMillis) throws InterruptedException {
        return events.poll(timeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }
}
