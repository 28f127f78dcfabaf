package io.llama2j.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
 *   <li>Nothing is allocated per call: the body and range live in fields, workers are woken by
 *       {@link LockSupport#unpark} after a short spin.</li>
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
    private final AtomicInteger pending = new AtomicInteger();

    // The current loop, published to workers by the volatile write of generation.
    private RangeBody body;
    private int rangeStart;
    private int rangeEnd;
    private int chunkCount;
    /** Chunks of the current {@link #forChunks} call, handed out as (call tag << 32 | next chunk). */
    private final AtomicLong claims = new AtomicLong();
    /** Chunks of the current {@link #forChunks} call that have finished. */
    private final AtomicInteger completed = new AtomicInteger();
    /**
     * Call counter << 1, plus 1 when the call is a {@link #forChunks} (workers read the kind from
     * the same volatile word that tells them a call started, so a worker that wakes late cannot
     * mix one call's kind with another's fields).
     */
    private volatile long generation;
    private volatile Thread caller;
    private volatile Throwable failure;
    private volatile boolean closed;

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
            pending.set(threads - 1);
            publish(body, n, chunks, false);
            runChunk(0);
            awaitWorkers();
            this.body = null;
            rethrowFailure();
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
            completed.set(0);
            long next = publish(body, n, chunks, true);
            runClaimedChunks(next);
            awaitChunks(chunks);
            this.body = null;
            rethrowFailure();
        } finally {
            callLock.unlock();
        }
    }

    /**
     * Starts a call (under callLock): sets its fields, gives the chunk counter the call's tag and
     * publishes both with a new generation, then wakes the workers. Every call retags the counter,
     * forRange's too: a worker still taking chunks of the previous forChunks call must find none,
     * or its stale claim could take chunk k below this call's chunkCount and run this call's chunk
     * k a second time (ParallelTest, with 3 threads). Returns the new generation.
     */
    private long publish(RangeBody body, int n, int chunks, boolean chunked) {
        this.body = body;
        this.rangeStart = 0;
        this.rangeEnd = n;
        this.chunkCount = chunks;
        this.failure = null;
        this.caller = Thread.currentThread();
        long next = nextGeneration(chunked);
        claims.set(callTag(next) << 32);
        generation = next; // publishes the fields above
        for (Thread w : workers) LockSupport.unpark(w);
        return next;
    }

    /** Rethrows, in the caller, the first exception a chunk of the finished loop threw. */
    private void rethrowFailure() {
        Throwable t = failure;
        if (t == null) return;
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error e) throw e;
        throw new IllegalStateException(t);
    }

    /** Upper bound on the chunks of one {@link #forChunks} call (the chunk index has 32 bits). */
    private static final int MAX_CHUNKS = 1 << 20;

    private long nextGeneration(boolean chunked) {
        return ((generation >>> 1) + 1) << 1 | (chunked ? 1 : 0);
    }

    private static long callTag(long generation) {
        return (generation >>> 1) & 0xFFFF_FFFFL;
    }

    /**
     * Takes chunks of the forChunks call {@code generation} until none is left. The fields read
     * after a successful claim are that call's: the next call cannot start before the claimed
     * chunk is done, and a claim for a finished call fails because its tag no longer matches.
     */
    private void runClaimedChunks(long generation) {
        long tag = callTag(generation);
        while (true) {
            long c = claims.get();
            if (c >>> 32 != tag) return;
            int chunk = (int) c;
            if (chunk >= chunkCount || !claims.compareAndSet(c, c + 1)) {
                if (chunk >= chunkCount) return;
                continue;
            }
            int total = chunkCount;
            try {
                runChunk(chunk);
            } catch (Throwable t) {
                failure = t;
            }
            if (completed.incrementAndGet() == total) LockSupport.unpark(caller);
        }
    }

    private void awaitChunks(int chunks) {
        int spins = 0;
        while (completed.get() < chunks) {
            if (spins < SPIN_ITERATIONS) {
                spins++;
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(this, 50_000);
            }
        }
    }

    private boolean isWorker(Thread t) {
        for (Thread w : workers) {
            if (w == t) return true;
        }
        return false;
    }

    private void runChunk(int chunk) {
        if (chunk >= chunkCount) return;
        int n = rangeEnd - rangeStart;
        int start = rangeStart + (int) ((long) n * chunk / chunkCount);
        int end = rangeStart + (int) ((long) n * (chunk + 1) / chunkCount);
        if (start < end) body.run(start, end);
    }

    private void awaitWorkers() {
        int spins = 0;
        while (pending.get() > 0) {
            if (spins < SPIN_ITERATIONS) {
                spins++;
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(this, 50_000);
            }
        }
    }

    private void workLoop(int chunk) {
        long seen = 0;
        while (true) {
            int spins = 0;
            while (generation == seen && !closed) {
                if (spins < SPIN_ITERATIONS) {
                    spins++;
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) return;
            seen = generation;
            if ((seen & 1) != 0) {
                runClaimedChunks(seen);
                continue;
            }
            try {
                runChunk(chunk);
            } catch (Throwable t) {
                failure = t;
            }
            if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
