package io.llama2j.server.metrics;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * The server's counters and gauges, rendered as Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/). Counters are cumulative;
 * tokens/s is the generation rate over the last {@link #RATE_WINDOW_SECONDS} seconds.
 */
public final class ServerMetrics {

    /** Width of the sliding window behind llama2j_generation_tokens_per_second. */
    public static final int RATE_WINDOW_SECONDS = 10;
    /**
     * Upper bounds of llama2j_batch_size's buckets: powers of two, as slot counts (--parallel)
     * usually are, so each count of sequences per step lands in a bucket of its own or nearly.
     */
    public static final int[] BATCH_SIZE_BUCKETS = {1, 2, 4, 8, 16, 32, 64};

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder completionTokens = new LongAdder();
    private final LongAdder queueRejections = new LongAdder();
    /** Decode steps by sequences fed together: counts per bucket of {@link #BATCH_SIZE_BUCKETS}, then +Inf. */
    private final LongAdder[] batchSizeBuckets = adders(BATCH_SIZE_BUCKETS.length + 1);
    private final LongAdder batchSizeSum = new LongAdder();
    private final long[] tokensPerSecondBucket = new long[RATE_WINDOW_SECONDS + 1];
    private final long[] bucketSecond = new long[RATE_WINDOW_SECONDS + 1];
    private volatile IntSupplier queueDepth = () -> 0;
    private volatile IntSupplier busySlots = () -> 0;
    private volatile int totalSlots;

    private static LongAdder[] adders(int count) {
        LongAdder[] adders = new LongAdder[count];
        for (int i = 0; i < count; i++) adders[i] = new LongAdder();
        return adders;
    }

    /** Wires the scheduler's live gauges. */
    public void bindScheduler(IntSupplier queueDepth, IntSupplier busySlots, int totalSlots) {
        this.queueDepth = queueDepth;
        this.busySlots = busySlots;
        this.totalSlots = totalSlots;
    }

    public void requestCompleted(String endpoint, int status) {
        requests.computeIfAbsent(endpoint + "\u0000" + status, k -> new LongAdder()).increment();
    }

    public void promptTokensProcessed(int count) {
        promptTokens.add(count);
    }

    public void completionTokenGenerated() {
        completionTokens.increment();
        long second = System.nanoTime() / 1_000_000_000L;
        synchronized (tokensPerSecondBucket) {
            int i = (int) (second % tokensPerSecondBucket.length);
            if (bucketSecond[i] != second) {
                bucketSecond[i] = second;
                tokensPerSecondBucket[i] = 0;
            }
            tokensPerSecondBucket[i]++;
        }
    }

    /** One batched decode step fed {@code sequences} sequences together. */
    public void decodeStep(int sequences) {
        int bucket = 0;
        while (bucket < BATCH_SIZE_BUCKETS.length && sequences > BATCH_SIZE_BUCKETS[bucket]) bucket++;
        batchSizeBuckets[bucket].increment();
        batchSizeSum.add(sequences);
    }

    public void queueRejected() {
        queueRejections.increment();
    }

    /** Completion tokens per second over the last full {@link #RATE_WINDOW_SECONDS} seconds. */
    public double generationTokensPerSecond() {
        long now = System.nanoTime() / 1_000_000_000L;
        long sum = 0;
        synchronized (tokensPerSecondBucket) {
            for (int i = 0; i < tokensPerSecondBucket.length; i++) {
                long age = now - bucketSecond[i];
                if (age >= 1 && age <= RATE_WINDOW_SECONDS) {
                    sum += tokensPerSecondBucket[i];
                }
            }
        }
        return sum / (double) RATE_WINDOW_SECONDS;
    }

    /** The Prometheus text page served at /metrics. */
    public String render() {
        StringBuilder out = new StringBuilder();
        out.append("# HELP llama2j_requests_total HTTP requests answered, by endpoint and status.\n");
        out.append("# TYPE llama2j_requests_total counter\n");
        Map<String, Long> sorted = new TreeMap<>();
        requests.forEach((key, count) -> sorted.put(key, count.sum()));
        sorted.forEach((key, count) -> {
            String[] parts = key.split("\u0000", 2);
            out.append("llama2j_requests_total{endpoint=\"").append(escape(parts[0]))
                    .append("\",status=\"").append(parts[1]).append("\"} ").append(count).append('\n');
        });
        counter(out, "llama2j_prompt_tokens_total", "Prompt tokens fed through the model.", promptTokens.sum());
        counter(out, "llama2j_completion_tokens_total", "Tokens generated.", completionTokens.sum());
        counter(out, "llama2j_queue_rejections_total", "Requests refused with 429 because the queue was full.",
                queueRejections.sum());
        batchSizeHistogram(out);
        gauge(out, "llama2j_generation_tokens_per_second",
                "Tokens generated per second over the last " + RATE_WINDOW_SECONDS + " seconds, all slots together.",
                String.format(java.util.Locale.ROOT, "%.3f", generationTokensPerSecond()));
        gauge(out, "llama2j_queue_depth", "Requests waiting for a slot.", Integer.toString(queueDepth.getAsInt()));
        gauge(out, "llama2j_slots_busy", "Slots running a request.", Integer.toString(busySlots.getAsInt()));
        gauge(out, "llama2j_slots_total", "Slots (--parallel).", Integer.toString(totalSlots));
        return out.toString();
    }

    /** A Prometheus histogram: cumulative buckets, then _sum and _count. */
    private void batchSizeHistogram(StringBuilder out) {
        String name = "llama2j_batch_size";
        out.append("# HELP ").append(name).append(" Sequences decoded together per batched step (continuous batching).\n");
        out.append("# TYPE ").append(name).append(" histogram\n");
        long cumulative = 0;
        for (int i = 0; i < batchSizeBuckets.length; i++) {
            cumulative += batchSizeBuckets[i].sum();
            String bound = i < BATCH_SIZE_BUCKETS.length ? Integer.toString(BATCH_SIZE_BUCKETS[i]) : "+Inf";
            out.append(name).append("_bucket{le=\"").append(bound).append("\"} ").append(cumulative).append('\n');
        }
        out.append(name).append("_sum ").append(batchSizeSum.sum()).append('\n');
        out.append(name).append("_count ").append(cumulative).append('\n');
    }

    private static void counter(StringBuilder out, String name, String help, long value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" counter\n");
        out.append(name).append(' ').append(value).append('\n');
    }

    private static void gauge(StringBuilder out, String name, String help, String value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" gauge\n");
        out.append(name).append(' ').append(value).append('\n');
    }

    private static String escape(String label) {
        return label.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
