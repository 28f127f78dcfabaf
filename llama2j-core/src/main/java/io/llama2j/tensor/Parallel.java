package io.llama2j.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed pool of threads for data-parallel loops ("parallel for" over an index range), the
 * Java counterpart of llama2.c's {@code #pragma omp parallel for}.
 *
 * <p>Design, for the per-token hot path of generation:
 * <ul>
 *   <li>{@code threads - 1} daemon workers plus the calling thread, which always takes the first
 *       chunk: never more runnable threads than {@code threads} (no oversubscription).</li>
 *   <li>A range is cut into at most {@code threads} contiguous chunks of at least {@code minChunk}
 *       indices; when only one chunk results, the body runs inline with no hand-off at all.</li>
 *   <li>One small object per call (its loop and counters; see {@link #current}); workers are
 *       woken by {@link LockSupport#unpark} after a short spin.</li>
 *   <li>A call made from inside a body (nested parallelism) runs inline, so it cannot deadlock
 *       and cannot oversubscribe.</li>
 *   <li>{@link #forChunks} hands out many small chunks on demand instead of one per thread
 *       (llama.cpp's mul_mat does the same with its atomic chunk counter): on a shared machine a
 *       thread that the OS deschedules for a while delays the loop by one chunk, not by a whole
 *       1/threads share, and the caller never waits for a worker that has not woken up yet.</li>
 * </ul>
 * Calls from different threads are serialized (one loop at a time).
 */
public final class Parallel implements AutoCloseable {

    /** The work of one chunk: indices [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /** Spins before parking: hand-offs between matmuls are microseconds apart during generation. */
    private static final int SPIN_ITERATIONS = 20_000;

    private static volatile Parallel shared;

    private final int threads;
    private final Thread[] workers;
    private final ReentrantLock callLock = new ReentrantLock();

    /**
     * The loop being run, or {@link #IDLE} between loops; a new object per call, published by
     * this volatile write. Each call has its own chunk counter and completion count, so a worker
     * that is still inside a finished call (descheduled between taking its last chunk and
     * noticing that none is left) can only find that call's counter exhausted: it can never take
     * a chunk of the next call or count one as done. (With counters shared between calls and
     * retagged per call, such a worker could read the next call's chunk count while the counter
     * still carried the old tag, claim a chunk that did not exist and count it as done in the
     * next call: that call then returned one chunk early, with a chunk still being computed.)
     */
    private volatile Call current = IDLE;
    private volatile boolean closed;

    /** One call of {@link #forRange} or {@link #forChunks}: its loop and its counters. */
    private static final class Call {
        final RangeBody body;
        final int n;
        final int chunks;
        /** forChunks: threads take chunks from {@link #nextChunk}; forRange: worker i runs chunk i. */
        final boolean claimed;
        final Thread caller;
        final AtomicInteger nextChunk = new AtomicInteger();
        /** forChunks: chunks not yet finished; forRange: workers not yet finished. */
        final AtomicInteger outstanding;
        volatile Throwable failure;

        Call(RangeBody body, int n, int chunks, boolean claimed, int outstanding, Thread caller) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.claimed = claimed;
            this.outstanding = new AtomicInteger(outstanding);
            this.caller = caller;
        }

        /** Chunk {@code chunk} of [0, n) cut into {@code chunks} near-equal contiguous parts. */
        void runChunk(int chunk) {
            if (chunk >= chunks) return;
            int start = (int) ((long) n * chunk / chunks);
            int end = (int) ((long) n * (chunk + 1) / chunks);
            try {
                if (start < end) body.run(start, end);
            } catch (Throwable t) {
                failure = t;
            }
        }

        /** One part done: wakes the caller when it was the last. */
        void finishOne() {
            if (outstanding.decrementAndGet() == 0) LockSupport.unpark(caller);
        }

        /** Takes chunks until none is left (forChunks). */
        void runClaimedChunks() {
            for (int chunk = nextChunk.getAndIncrement(); chunk < chunks; chunk = nextChunk.getAndIncrement()) {
                runChunk(chunk);
                finishOne();
            }
        }
    }

    /** No loop: a claimed call with no chunks, which a worker that wakes between calls finds empty. */
    private static final Call IDLE = new Call((start, end) -> { }, 0, 0, true, 0, null);

    /** A pool that runs loops on {@code threads} threads (the caller included). */
    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("thread count must be at least 1, found " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int chunk = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("llama2j-parallel-" + chunk).unstarted(() -> workLoop(chunk));
            workers[i].start();
        }
    }

    /**
     * The process-wide pool, created on first use with one thread per available core unless
     * {@link #setSharedThreads} chose a count before.
     */
    public static Parallel shared() {
        Parallel p = shared;
        if (p == null) {
            synchronized (Parallel.class) {
                if (shared == null) shared = new Parallel(Runtime.getRuntime().availableProcessors());
                p = shared;
            }
        }
        return p;
    }

    /** Replaces the shared pool by one with {@code threads} threads (the CLI's -t option). */
    public static synchronized void setSharedThreads(int threads) {
        Parallel old = shared;
        if (old != null && old.threads == threads) return;
        shared = new Parallel(threads);
        if (old != null) old.close();
    }

    public int threads() { return threads; }

    /**
     * Runs {@code body} over [0, n), cut into at most {@link #threads()} contiguous chunks of at
     * least {@code minChunk} indices, and returns when every chunk is done. An exception thrown
     * by any chunk is rethrown here.
     */
    public void forRange(int n, int minChunk, RangeBody body) {
        if (n <= 0) return;
        int chunks = Math.min(threads, Math.max(1, n / Math.max(1, minChunk)));
        if (chunks == 1 || closed || isWorker(Thread.currentThread()) || callLock.isHeldByCurrentThread()) {
            body.run(0, n);
            return;
        }
        callLock.lock();
        try {
            Call call = new Call(body, n, chunks, false, threads - 1, Thread.currentThread());
            run(call, () -> call.runChunk(0));
        } finally {
            callLock.unlock();
        }
    }

    /**
     * Runs {@code body} over [0, n) in chunks of about {@code chunkSize} indices that the threads
     * take one at a time until none is left, and returns when every chunk is done. Any thread
     * may run any number of chunks (the caller all of them, when the workers are slow to wake).
     * An exception thrown by any chunk is rethrown here.
     */
    public void forChunks(int n, int chunkSize, RangeBody body) {
        if (n <= 0) return;
        int chunks = (int) Math.min(MAX_CHUNKS, ((long) n + Math.max(1, chunkSize) - 1) / Math.max(1, chunkSize));
        if (threads == 1 || chunks == 1 || closed || isWorker(Thread.currentThread()) || callLock.isHeldByCurrentThread()) {
            body.run(0, n);
            return;
        }
        callLock.lock();
        try {
            Call call = new Call(body, n, chunks, true, chunks, Thread.currentThread());
            run(call, call::runClaimedChunks);
        } finally {
            callLock.unlock();
        }
    }

    /**
     * Runs {@code call} (under callLock): publishes it, wakes the workers, does the caller's part,
     * waits for the rest, and rethrows an exception a chunk threw.
     */
    private void run(Call call, Runnable callersPart) {
        current = call;
        for (Thread w : workers) LockSupport.unpark(w);
        callersPart.run();
        int spins = 0;
        while (call.outstanding.get() > 0) {
            if (spins < SPIN_ITERATIONS) {
                spins++;
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(this, 50_000);
            }
        }
        current = IDLE; // lets the body and what it holds be collected
        Throwable t = call.failure;
        if (t == null) return;
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error e) throw e;
        throw new IllegalStateException(t);
    }

    /** Upper bound on the chunks of one {@link #forChunks} call (its counter overshoots by one per thread). */
    private static final int MAX_CHUNKS = 1 << 20;

    private boolean isWorker(Thread t) {
        for (Thread w : workers) {
            if (w == t) return true;
        }
        return false;
    }

    /**
     * Worker {@code index}: waits for a new call, then takes chunks of it (forChunks) or runs its
     * own chunk (forRange). A worker cannot miss a forRange call: the call does not return, and
     * no later call is published, before every worker has counted itself done in it.
     */
    private void workLoop(int index) {
        Call seen = IDLE;
        while (true) {
            int spins = 0;
            while (current == seen && !closed) {
                if (spins < SPIN_ITERATIONS) {
                    spins++;
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) return;
            Call call = current;
            seen = call;
            if (call.claimed) {
                call.runClaimedChunks();
            } else {
                call.runChunk(index);
                call.finishOne();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
