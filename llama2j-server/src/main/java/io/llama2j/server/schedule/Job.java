package io.llama2j.server.schedule;

/** A submitted request: waits in the queue, then runs in a slot until it finishes or is cancelled. */
public final class Job {

    final GenerationRequest request;
    final GenerationListener listener;
    private volatile boolean cancelled;

    Job(GenerationRequest request, GenerationListener listener) {
        this.request = request;
        this.listener = listener;
    }

    /** Frees the slot (or the queue place) at the scheduler's next step; no event follows. */
    public void cancel() {
        cancelled = true;
    }

    boolean cancelled() {
        return cancelled;
    }
}
