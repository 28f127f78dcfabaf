package io.llama2j.server.schedule;

/**
 * Receives one request's output. Called on the scheduler thread, so implementations must not
 * block (the HTTP side hands events to its own thread through a queue).
 */
public interface GenerationListener {

    /** The request left the queue and got a slot. */
    default void onStarted() {
    }

    /** Text that is final (complete UTF-8, not part of a stop string). */
    void onText(String text);

    /** The completion ended normally; exactly one of onFinished/onFailed is called. */
    void onFinished(FinishReason reason, int promptTokens, int completionTokens);

    /** The completion could not finish (engine failure, shutdown). */
    void onFailed(String message);
}
