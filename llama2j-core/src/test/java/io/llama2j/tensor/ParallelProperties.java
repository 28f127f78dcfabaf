package io.llama2j.tensor;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;

class ParallelProperties {

    @Property(tries = 200)
    void everyIndexIsVisitedExactlyOnce(@ForAll @IntRange(min = 1, max = 4) int threads,
                                        @ForAll @IntRange(min = 0, max = 500) int n,
                                        @ForAll @IntRange(min = 1, max = 64) int minChunk) {
        try (Parallel p = new Parallel(threads)) {
            AtomicIntegerArray visits = new AtomicIntegerArray(Math.max(1, n));
            p.forRange(n, minChunk, (start, end) -> {
                assertThat(start).isLessThan(end);
                for (int i = start; i < end; i++) visits.incrementAndGet(i);
            });
            for (int i = 0; i < n; i++) assertThat(visits.get(i)).as("index %d", i).isEqualTo(1);
        }
    }
}
