package io.llama2j.bench;

import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.FloatTensors;
import io.llama2j.tensor.GgmlType;
import io.llama2j.tensor.Quantizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The Vector API dot kernel of each storage type, one thread: a matrix-vector product of
 * {@link #rows} × {@link #cols} random weights (in native memory, as a mapped file is) with a
 * float vector, one {@code dot} per row. GFLOP/s = 2·rows·cols / time per operation; weight
 * GB/s = the type's bytes / time. The matrix (a few MB) stays in cache, so this measures the
 * kernel's arithmetic, not memory bandwidth.
 *
 * <p>Warm-up is long on purpose: until C2 has compiled a kernel, its Vector API calls run
 * interpreted or in C1 code, thousands of times slower. The K-quant kernels, the largest, took
 * about 5 s of 1 s iterations to reach full speed on the shared 2-core machine.
 *
 * <p>Run: {@code java -jar llama2j-bench/target/benchmarks.jar DotBenchmark} (or
 * {@code -p type=Q4_0,Q8_0}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 1)
public class DotBenchmark {
    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q5_K", "Q6_K"})
    public String type;

    @Param("256")
    public int rows;

    /** Row length: 4096 is the Llama 2 7B width. */
    @Param("4096")
    public int cols;

    private FloatTensor matrix;
    private float[] x;

    @Setup
    public void setup() {
        Random random = new Random(1);
        GgmlType t = GgmlType.valueOf(type);
        long n = (long) rows * cols;
        x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) random.nextGaussian();
        MemorySegment data = Arena.ofAuto().allocate(t.byteSize(n), 64);
        if (Quantizer.supports(t)) {
            float[] w = new float[Math.toIntExact(n)];
            for (int i = 0; i < w.length; i++) w[i] = (float) random.nextGaussian();
            data.copyFrom(MemorySegment.ofArray(Quantizer.quantize(t, w)));
        } else {
            // random quantized values and packed scales, with finite fp16 scales (d, dmin/m)
            byte[] bytes = new byte[Math.toIntExact(t.byteSize(n))];
            random.nextBytes(bytes);
            data.copyFrom(MemorySegment.ofArray(bytes));
            ValueLayout.OfShort half = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            int[] halfOffsets = t == GgmlType.Q6_K ? new int[]{t.bytesPerBlock() - 2} : new int[]{0, 2};
            for (long b = 0; b < n / t.blockSize(); b++) {
                for (int o : halfOffsets) data.set(half, b * t.bytesPerBlock() + o, Float.floatToFloat16(random.nextFloat() * 0.01f));
            }
        }
        matrix = FloatTensors.of(t, data, n);
    }

    @Benchmark
    public float matVec() {
        float sum = 0;
        for (int r = 0; r < rows; r++) sum += matrix.dot((long) r * cols, x, 0, cols);
        return sum;
    }
}
