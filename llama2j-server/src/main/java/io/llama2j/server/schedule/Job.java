package io.llama2j.server.schedule;

/** A submitted request: waits in the queue, then runs in a slot until it finishes or is cancelled. */
public final class Job {

    final GenerationRequest request;
    final GenerationListener listener;
    private final java.util.Queue<Job> queue;
    private volatile boolean cancelled;

    Job(GenerationRequest request, GenerationListener listener, java.util.Queue<Job> queue) {
        this.request = request;
        this.listener = listener;
        this.queue = queue;
    }

    /** Leaves the queue at once, or frees the slot at the scheduler's next step; no event follows. */
    public void cancel() {
        cancelled = true;
        queue.remove(this);
    }

    boolean cancelled() {
        return cancelled;
    }
}
