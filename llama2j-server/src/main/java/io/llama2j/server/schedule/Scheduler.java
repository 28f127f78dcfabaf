package io.llama2j.server.schedule;

import io.llama2j.server.engine.ServedModel;
import io.llama2j.server.metrics.ServerMetrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Continuous batching over N slots that share one model: one thread steps every busy slot in
 * turn (a chunk of prompt or one new token each), and between two rounds it moves waiting
 * requests into free slots, so new requests join without waiting for others to finish.
 * Requests beyond the slots wait in a bounded FIFO queue; a full queue refuses at once.
 * Each request owns its sequence state, sampler and detokenizer, so its output does not depend
 * on what else runs.
 */
public final class Scheduler implements AutoCloseable {

    /**
     * @param slots         requests generated at the same time (--parallel)
     * @param queueCapacity requests that may wait for a slot (--queue); more get 429
     * @param prefillChunk  prompt tokens a slot feeds per round, so a long prompt does not
     *                      stall the other slots' streams
     */
    public record Config(int slots, int queueCapacity, int prefillChunk) {
        public static final int DEFAULT_PREFILL_CHUNK = 32;

        public Config {
            if (slots < 1) throw new IllegalArgumentException("slots (--parallel) must be at least 1, was " + slots);
            if (queueCapacity < 0) throw new IllegalArgumentException("queue capacity (--queue) must be >= 0, was " + queueCapacity);
            if (prefillChunk < 1) throw new IllegalArgumentException("prefill chunk must be at least 1, was " + prefillChunk);
        }
    }

    private static final long IDLE_POLL_MILLIS = 50;

    private final Config config;
    private final ServerMetrics metrics;
    private final Slot[] slots;
    private final ArrayBlockingQueue<Job> waiting;
    private final Thread loop;
    private volatile boolean accepting = true;
    private volatile boolean running = true;
    private volatile String abortMessage;

    public Scheduler(ServedModel model, Config config, ServerMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.slots = new Slot[config.slots()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot(model, metrics);
        }
        this.waiting = new ArrayBlockingQueue<>(Math.max(1, config.queueCapacity()));
        metrics.bindScheduler(this::queueDepth, this::busySlots, config.slots());
        this.loop = Thread.ofPlatform().name("llama2j-scheduler").daemon(true).unstarted(this::run);
        loop.start();
    }

    /**
     * Queues a request; it starts as soon as a slot is free.
     *
     * @throws QueueFullException    when the queue already holds --queue requests
     * @throws IllegalStateException when the server is shutting down
     */
    public Job submit(GenerationRequest request, GenerationListener listener) throws QueueFullException {
        if (!accepting) {
            throw new IllegalStateException("The server is shutting down and takes no new requests.");
        }
        Job job = new Job(request, listener, waiting);
        boolean queued = (config.queueCapacity() > 0 || freeSlotLikely()) && waiting.offer(job);
        if (!queued) {
            metrics.queueRejected();
            throw new QueueFullException(config.queueCapacity());
        }
        return job;
    }

    public int queueDepth() {
        return waiting.size();
    }

    public int busySlots() {
        int busy = 0;
        for (Slot slot : slots) {
            if (slot.busy()) busy++;
        }
        return busy;
    }

    public int slotCount() {
        return slots.length;
    }

    /**
     * Stops taking requests, fails the queued ones, lets running ones finish for up to
     * {@code drain}, then ends the rest with an error event, and stops the loop.
     */
    public void shutdown(Duration drain) {
        accepting = false;
        List<Job> queued = new ArrayList<>();
        waiting.drainTo(queued);
        for (Job job : queued) {
            job.listener.onFailed("The server is shutting down; the request was not started.");
        }
        long deadline = System.nanoTime() + drain.toNanos();
        while (busySlots() > 0 && System.nanoTime() < deadline) {
            sleepQuietly(10);
        }
        abortMessage = "The server is shutting down; generation was stopped.";
        running = false;
        try {
            loop.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }

    private boolean freeSlotLikely() {
        return busySlots() < slots.length;
    }

    private void run() {
        while (running) {
            admitWaiting();
            boolean stepped = false;
            for (Slot slot : slots) {
                if (!slot.busy()) continue;
                if (slot.job().cancelled()) {
                    slot.release();
                    continue;
                }
                try {
                    slot.step(config.prefillChunk());
                } catch (RuntimeException e) {
                    slot.fail("Generation failed: " + e);
                }
                stepped = true;
            }
            if (!stepped) {
                waitForWork();
            }
        }
        String message = abortMessage == null ? "The server stopped." : abortMessage;
        for (Slot slot : slots) {
            if (slot.busy()) slot.fail(message);
        }
    }

    private void admitWaiting() {
        for (Slot slot : slots) {
            if (slot.busy()) continue;
            Job next;
            do {
                next = waiting.poll();
            } while (next != null && next.cancelled()); // a client that left while queued is skipped
            if (next == null) return;
            startIn(slot, next);
        }
    }

    /** Sleeps until a request arrives (or briefly), starting it at once when one does. */
    private void waitForWork() {
        try {
            Job next = waiting.poll(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS);
            if (next == null || next.cancelled()) return;
            for (Slot slot : slots) {
                if (!slot.busy()) {
                    startIn(slot, next);
                    return;
                }
            }
            throw new IllegalStateException("no free slot although none stepped");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private static void startIn(Slot slot, Job job) {
        try {
            slot.start(job);
        } catch (RuntimeException e) {
            slot.release();
            job.listener.onFailed("Could not start generation: " + e);
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
