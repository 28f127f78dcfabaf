package io.llama2j.bench;

import io.llama2j.model.InferenceState;
import io.llama2j.tensor.ActivationPrecision;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.FloatTensors;
import io.llama2j.tensor.GgmlType;
import io.llama2j.tensor.MatMul;
import io.llama2j.tensor.Parallel;
import io.llama2j.tensor.Q4_0PackedTensor;
import io.llama2j.tensor.Q4_0Tensor;
import io.llama2j.tensor.Q8_0PackedTensor;
import io.llama2j.tensor.Q8_0Tensor;
import io.llama2j.tensor.Quantizer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The weight kernels of every storage type on one thread, on a 4096 x 4096 matrix (a Llama 2 7B
 * attention projection, 9 to 64 MiB: larger than the caches, so weights come from memory as in
 * generation):
 * <ul>
 *   <li>{@code dot}: one {@link FloatTensor#dot} per row (the scalar-row reference kernel);</li>
 *   <li>{@code matVec}: {@link MatMul#matVec} with float32 activations (the exact path);</li>
 *   <li>{@code matVec8}: {@link MatMul#matVec} with 8-bit activations (Q4_0 and Q8_0 quantize x
 *       once and multiply integers; other types as matVec);</li>
 *   <li>{@code matMul}: {@link MatMul#matMul} of a batch of {@link #BATCH} tokens (prompt
 *       processing: the blocked {@code Gemm}, weights dequantized into its panels).</li>
 * </ul>
 * Throughput mode: the score is operations per second, and the auxiliary counters give weight
 * bytes read per second ({@code weightBytes}) and floating-point operations per second
 * ({@code flops}, 2 per multiply-add) (AuxCounters are rates only in this mode), to set next to the machine's
 * peaks in /work/shared/docs/PEERS.md (one core: about 114 GFLOP/s fp32 FMA, about 23 GB/s).
 *
 * <p>Types {@code Q4_0-packed} and {@code Q8_0-packed} are the same matrices copied into the
 * layouts generation reads by default ({@link Q4_0PackedTensor}, {@link Q8_0PackedTensor}, on the
 * heap with transparent huge pages as the launcher asks); the others are read from native memory
 * in the file's layout, as from a memory-mapped file. Generation's default is matVec8: the
 * packed Q4_0 layout is made for its integer kernel (matVec and matMul read the file's blocks
 * it was copied from), and packed Q8_0 has one too.
 *
 * <p>Run: {@code java -jar llama2j-bench/target/benchmarks.jar KernelBenchmark}
 * (add {@code -p type=Q4_0} for one type).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseTransparentHugePages"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class KernelBenchmark {

    static final int ROWS = 4096;
    static final int COLS = 4096;
    /** Tokens of the matMul benchmark (the default prompt batch). */
    static final int BATCH = InferenceState.DEFAULT_PROMPT_BATCH;

    @Param({"Q4_0", "Q4_0-packed", "Q8_0", "Q8_0-packed", "Q4_K", "Q6_K", "F16", "BF16", "F32"})
    public String type;

    private FloatTensor weights;
    private long weightBytes;
    private float[] x;
    private float[] out;
    private Parallel serial;
    private Arena arena;

    @Setup
    public void setUp() {
        boolean packed = type.endsWith("-packed");
        GgmlType t = GgmlType.valueOf(type.replace("-packed", ""));
        long n = (long) ROWS * COLS;
        arena = Arena.ofShared();
        MemorySegment data = arena.allocate(t.byteSize(n), 64);
        SplittableRandom random = new SplittableRandom(42);
        fill(t, data, n, random);
        weights = FloatTensors.of(t, data, n);
        weightBytes = t.byteSize(n);
        if (packed) {
            try (Parallel two = new Parallel(2)) {
                weights = weights instanceof Q4_0Tensor q4 ? Q4_0PackedTensor.pack(q4, COLS, two) : Q8_0PackedTensor.pack((Q8_0Tensor) weights, COLS, two);
            }
        }
        x = new float[BATCH * COLS];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        out = new float[BATCH * ROWS];
        serial = new Parallel(1);
    }

    /**
     * Random weights of a type: Gaussian values through {@link Quantizer} where it can write the
     * type, else random block bytes with fixed finite fp16 scales (the kernels' speed does not
     * depend on the values, only on their being finite and normal).
     */
    private static void fill(GgmlType t, MemorySegment data, long n, SplittableRandom random) {
        if (Quantizer.supports(t)) {
            float[] row = new float[COLS];
            long rowBytes = t.byteSize(COLS);
            for (int r = 0; r < ROWS; r++) {
                for (int c = 0; c < COLS; c++) row[c] = (float) random.nextGaussian();
                MemorySegment.copy(MemorySegment.ofArray(Quantizer.quantize(t, row)), 0, data, r * rowBytes, rowBytes);
            }
            return;
        }
        byte[] bytes = new byte[(int) data.byteSize()];
        random.nextBytes(bytes);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, data, 0, bytes.length);
        ValueLayout.OfShort half = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        short scale = Float.floatToFloat16(0.01f);
        for (long b = 0; b < n / t.blockSize(); b++) {
            long at = b * t.bytesPerBlock();
            switch (t) {
                case Q4_K -> {
                    data.set(half, at, scale);
                    data.set(half, at + 2, scale);
                }
                case Q6_K -> data.set(half, at + t.bytesPerBlock() - 2, scale);
                default -> throw new IllegalArgumentException("no random filler for " + t);
            }
        }
    }

    @TearDown
    public void tearDown() {
        serial.close();
        arena.close();
    }

    /** Bytes and flops per second, reported by JMH next to the time per operation. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Throughput {
        public long weightBytes;
        public long flops;

        @Setup(Level.Iteration)
        public void reset() {
            weightBytes = 0;
            flops = 0;
        }
    }

    @Benchmark
    public void dot(Throughput counters, Blackhole bh) {
        for (int r = 0; r < ROWS; r++) out[r] = weights.dot((long) r * COLS, x, 0, COLS);
        bh.consume(out);
        counters.weightBytes += weightBytes;
        counters.flops += 2L * ROWS * COLS;
    }

    @Benchmark
    public void matVec(Throughput counters, Blackhole bh) {
        MatMul.matVec(serial, weights, x, 0, out, 0, ROWS, COLS);
        bh.consume(out);
        counters.weightBytes += weightBytes;
        counters.flops += 2L * ROWS * COLS;
    }

    @Benchmark
    public void matVec8(Throughput counters, Blackhole bh) {
        MatMul.matVec(serial, ActivationPrecision.QUANTIZED_8BIT, weights, x, 0, out, 0, ROWS, COLS);
        bh.consume(out);
        counters.weightBytes += weightBytes;
        counters.flops += 2L * ROWS * COLS;
    }

    @Benchmark
    public void matMul(Throughput counters, Blackhole bh) {
        MatMul.matMul(serial, weights, x, out, BATCH, ROWS, COLS);
        bh.consume(out);
        counters.weightBytes += weightBytes;
        counters.flops += 2L * ROWS * COLS * BATCH;
    }
}
