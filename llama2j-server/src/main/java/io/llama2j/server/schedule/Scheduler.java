package io.llama2j.server.schedule;

import io.llama2j.server.engine.ModelSequence;
import io.llama2j.server.engine.ServedModel;
import io.llama2j.server.metrics.ServerMetrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Continuous batching over N slots that share one model. One thread runs rounds: it moves
 * waiting requests into free slots, feeds each prefilling slot one chunk of its prompt, then
 * lets every decoding slot sample its next token and feeds all those tokens in one batched
 * step (each weight read once per round, not once per slot). New requests thus join the
 * batch as soon as their prompt is in, without waiting for others to finish.
 * Requests beyond the slots wait in a bounded FIFO queue; a full queue refuses at once.
 * Each request owns its sequence state, sampler and detokenizer, and the batched step computes
 * each sequence's products on their own, so its output does not depend on what else runs (bit
 * for bit on float32 weights; on quantized ones a step of one sequence uses the fused
 * single-token kernel, which differs from the batched one by float32 rounding).
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
    private final ServedModel model;
    private final ServerMetrics metrics;
    private final Slot[] slots;
    private final ArrayBlockingQueue<Job> waiting;
    private final Thread loop;
    private volatile boolean accepting = true;
    private volatile boolean running = true;
    private volatile String abortMessage;

    public Scheduler(ServedModel model, Config config, ServerMetrics metrics) {
        this.config = config;
        this.model = model;
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
            boolean prefilled = prefillRound();
            boolean decoded = decodeRound();
            if (!prefilled && !decoded) {
                waitForWork();
            }
        }
        String message = abortMessage == null ? "The server stopped." : abortMessage;
        for (Slot slot : slots) {
            if (slot.busy()) slot.fail(message);
        }
    }

    /** Frees the slot of a request whose client went away; true when the slot still runs one. */
    private static boolean stillWanted(Slot slot) {
        if (!slot.busy()) return false;
        if (slot.job().cancelled()) {
            slot.release();
            return false;
        }
        return true;
    }

    /** Each slot still reading its prompt feeds one chunk of it (a prompt batch of its own). */
    private boolean prefillRound() {
        boolean worked = false;
        for (Slot slot : slots) {
            if (!stillWanted(slot) || !slot.prefilling()) continue;
            worked = true;
            try {
                slot.prefill(config.prefillChunk());
            } catch (RuntimeException e) {
                slot.fail("Generation failed: " + e);
            }
        }
        return worked;
    }

    /**
     * Every decoding slot samples its next token, and all that continue are fed together in one
     * batched step ({@link ServedModel#feedEach}): the weights are read once for all of them.
     * A slot whose prompt was completed this round joins at once.
     */
    private boolean decodeRound() {
        Slot[] stepping = new Slot[slots.length];
        int[] tokens = new int[slots.length];
        int count = 0;
        boolean worked = false;
        for (Slot slot : slots) {
            if (!stillWanted(slot) || slot.prefilling()) continue;
            worked = true;
            try {
                int token = slot.sampleNext();
                if (token >= 0) {
                    stepping[count] = slot;
                    tokens[count++] = token;
                }
            } catch (RuntimeException e) {
                slot.fail("Generation failed: " + e);
            }
        }
        if (count == 0) return worked;
        ModelSequence[] sequences = new ModelSequence[count];
        for (int b = 0; b < count; b++) sequences[b] = stepping[b].sequence();
        try {
            float[][] logits = model.feedEach(sequences, java.util.Arrays.copyOf(tokens, count));
            for (int b = 0; b < count; b++) stepping[b].accept(logits[b]);
            metrics.decodeStep(count);
        } catch (RuntimeException e) {
            for (int b = 0; b < count; b++) {
                if (stepping[b].busy()) stepping[b].fail("Generation failed: " + e);
            }
        }
        return true;
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
