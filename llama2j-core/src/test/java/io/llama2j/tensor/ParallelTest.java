package io.llama2j.tensor;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ParallelTest {

    @Test
    void everyIndexIsVisitedExactlyOnceForManyRangeSizes() {
        try (Parallel p = new Parallel(3)) {
            for (int n = 0; n < 200; n += 7) {
                int[] visits = new int[n];
                p.forRange(n, 1, (start, end) -> {
                    for (int i = start; i < end; i++) visits[i]++;
                });
                for (int i = 0; i < n; i++) assertThat(visits[i]).as("index %d of %d", i, n).isEqualTo(1);
            }
        }
    }

    @Test
    void usesAtMostItsThreadCountAndRunsSmallRangesOnTheCaller() {
        try (Parallel p = new Parallel(3)) {
            Set<Thread> seen = ConcurrentHashMap.newKeySet();
            AtomicInteger chunks = new AtomicInteger();
            p.forRange(300, 1, (s, e) -> { seen.add(Thread.currentThread()); chunks.incrementAndGet(); });
            assertThat(chunks.get()).isEqualTo(3);
            assertThat(seen).hasSize(3).contains(Thread.currentThread());

            seen.clear();
            p.forRange(300, 1000, (s, e) -> seen.add(Thread.currentThread()));
            assertThat(seen).containsExactly(Thread.currentThread());
        }
    }

    @Test
    void nestedLoopsRunInlineInsteadOfDeadlocking() {
        try (Parallel p = new Parallel(2)) {
            AtomicInteger inner = new AtomicInteger();
            p.forRange(4, 1, (s, e) -> p.forRange(10, 1, (a, b) -> inner.addAndGet(b - a)));
            assertThat(inner.get()).isEqualTo(20); // 2 outer chunks x 10 inner indices
        }
    }

    @Test
    void anExceptionInAWorkerReachesTheCallerAndThePoolStaysUsable() {
        try (Parallel p = new Parallel(2)) {
            assertThatThrownBy(() -> p.forRange(2, 1, (s, e) -> {
                if (s == 1) throw new IllegalStateException("chunk failed");
            })).isInstanceOf(IllegalStateException.class).hasMessage("chunk failed");
            AtomicInteger sum = new AtomicInteger();
            p.forRange(100, 1, (s, e) -> sum.addAndGet(e - s));
            assertThat(sum.get()).isEqualTo(100);
        }
    }

    @Test
    void rejectsAThreadCountBelowOne() {
        assertThatThrownBy(() -> new Parallel(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1, found 0");
    }

    @Test
    void chunkedLoopsVisitEveryIndexExactlyOnceForManySizesAndChunkSizes() {
        try (Parallel p = new Parallel(3)) {
            for (int n = 0; n < 300; n += 13) {
                for (int chunk : new int[]{1, 4, 16, 1000}) {
                    int[] visits = new int[n];
                    p.forChunks(n, chunk, (start, end) -> {
                        for (int i = start; i < end; i++) visits[i]++;
                    });
                    for (int i = 0; i < n; i++) assertThat(visits[i]).as("index %d of %d, chunks of %d", i, n, chunk).isEqualTo(1);
                }
            }
        }
    }

    /**
     * Guided chunks: contiguous, each a 1/(2 · threads) share of what was unclaimed when it was
     * taken and at least the minimum (but the last), so they shrink toward the end of the range.
     */
    @Test
    void chunkedLoopsHandOutShrinkingChunksOfAtLeastTheMinimum() {
        try (Parallel p = new Parallel(2)) {
            int n = 10_000, min = 16;
            List<int[]> chunks = Collections.synchronizedList(new ArrayList<>());
            p.forChunks(n, min, (s, e) -> chunks.add(new int[]{s, e}));
            chunks.sort(Comparator.comparingInt(c -> c[0]));
            assertThat(chunks.getFirst()).containsExactly(0, n / 4);
            int expectedStart = 0;
            for (int i = 0; i < chunks.size(); i++) {
                int[] c = chunks.get(i);
                assertThat(c[0]).as("chunk %d starts where the previous ended", i).isEqualTo(expectedStart);
                int left = n - c[0];
                assertThat(c[1] - c[0]).as("chunk %d at %d", i, c[0]).isEqualTo(Math.min(left, Math.max(min, left / 4)));
                expectedStart = c[1];
            }
            assertThat(expectedStart).isEqualTo(n);
            assertThat(chunks.getLast()[1] - chunks.getLast()[0]).isLessThanOrEqualTo(min);
        }
    }

    /**
     * Workers that wake late must not run a finished call's chunks, nor the next call's twice:
     * many short calls of both kinds back to back, each checked.
     */
    @Test
    void chunkedAndContiguousLoopsCanAlternateManyTimes() {
        try (Parallel p = new Parallel(3)) {
            for (int call = 0; call < 2_000; call++) {
                int n = 1 + call % 97;
                AtomicInteger sum = new AtomicInteger();
                if (call % 2 == 0) p.forChunks(n, 3, (s, e) -> sum.addAndGet(e - s));
                else p.forRange(n, 1, (s, e) -> sum.addAndGet(e - s));
                assertThat(sum.get()).as("call %d", call).isEqualTo(n);
            }
        }
    }

    @Test
    void aChunkedLoopOfOneChunkRunsOnTheCallerAndExceptionsReachTheCaller() {
        try (Parallel p = new Parallel(2)) {
            Set<Thread> seen = ConcurrentHashMap.newKeySet();
            p.forChunks(100, 100, (s, e) -> seen.add(Thread.currentThread()));
            assertThat(seen).containsExactly(Thread.currentThread());
            assertThatThrownBy(() -> p.forChunks(64, 1, (s, e) -> {
                if (s <= 40 && 40 < e) throw new IllegalStateException("the chunk of index 40 failed");
            })).isInstanceOf(IllegalStateException.class).hasMessage("the chunk of index 40 failed");
            AtomicInteger sum = new AtomicInteger();
            p.forChunks(100, 7, (s, e) -> sum.addAndGet(e - s));
            assertThat(sum.get()).isEqualTo(100);
        }
    }

    /**
     * A worker still inside a finished call must not take or count a chunk of the next one: many
     * tiny calls on two threads, each of which must have visited every index when it returns.
     * With counters shared between calls and retagged per call, a stale worker ran chunks of
     * finished calls (a NullPointerException from the cleared body, rethrown by a later call) and
     * made calls return with a chunk still running, within 300,000 calls of this loop.
     */
    @Test
    void manyTinyCallsEachReturnOnlyWhenAllTheirChunksAreDone() {
        try (Parallel p = new Parallel(2)) {
            int[] visits = new int[64];
            for (int call = 1; call <= 300_000; call++) {
                int n = 8 + call % 57, stamp = call;
                Parallel.RangeBody body = (s, e) -> {
                    for (int i = s; i < e; i++) visits[i] = stamp;
                };
                if (call % 7 == 0) p.forRange(n, 1, body);
                else p.forChunks(n, 1 + call % 5, body);
                for (int i = 0; i < n; i++) {
                    if (visits[i] != stamp) {
                        throw new AssertionError("call " + call + " returned before index " + i + " was visited (holds " + visits[i] + ")");
                    }
                }
            }
        }
    }
}
