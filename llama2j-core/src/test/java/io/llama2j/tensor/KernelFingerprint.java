package io.llama2j.tensor;

import java.util.Arrays;
import java.util.Random;

/**
 * Every dot kernel, the batched Gemm, the SwiGLU gate and the softmax on fixed random data,
 * printed as the float bits of the results. {@link KernelDeterminismTest} compares a warmed-up (C2-compiled) run with one in an
 * interpreted child JVM: kernels must not change their results when the JIT compiles them.
 */
final class KernelFingerprint {
    private KernelFingerprint() {}

    private static final int ROWS = 8, TOKENS = 5;

    static String compute() {
        StringBuilder out = new StringBuilder();
        for (GgmlType type : RandomTensors.TYPES) {
            Random random = new Random(7 + type.id());
            int cols = 256 * 3; // whole blocks of every type, several vectors per row
            FloatTensor w = RandomTensors.of(type, (long) ROWS * cols, random);
            float[] x = new float[TOKENS * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
            out.append(type).append(':');
            for (int r = 0; r < ROWS; r++) out.append(' ').append(Integer.toHexString(Float.floatToRawIntBits(w.dot((long) r * cols, x, 0, cols))));
            float[] batch = new float[TOKENS * ROWS];
            try (Parallel serial = new Parallel(1)) {
                MatMul.matMul(serial, w, x, batch, TOKENS, ROWS, cols);
            }
            out.append(" |");
            for (float v : batch) out.append(' ').append(Integer.toHexString(Float.floatToRawIntBits(v)));
            out.append('\n');
        }
        // the packed copies' kernels (on 16-lane machines, where the model uses them)
        if (Vectors.ENABLED && Vectors.L == 16) {
            for (GgmlType type : new GgmlType[]{GgmlType.Q4_0, GgmlType.Q8_0}) {
                Random random = new Random(17 + type.id());
                int cols = 128 * 5;
                FloatTensor w = PackedTensorsTest.pack(RandomTensors.of(type, (long) ROWS * cols, random), cols);
                float[] x = new float[cols];
                for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
                float[] values = new float[cols];
                w.dequantize(cols, values, 0, cols);
                out.append("packed ").append(type).append(':');
                for (int r = 0; r < ROWS; r++) out.append(' ').append(Integer.toHexString(Float.floatToRawIntBits(w.dot((long) r * cols, x, 0, cols))));
                out.append(" | dequantized ").append(Arrays.hashCode(values)).append('\n');
            }
        }
        float[] a = new float[1000], b = new float[1000];
        Random random = new Random(3);
        for (int i = 0; i < a.length; i++) { a[i] = (float) random.nextGaussian(); b[i] = (float) random.nextGaussian(); }
        out.append("FloatArrays.dot: ").append(Integer.toHexString(Float.floatToRawIntBits(FloatArrays.dot(a, 0, b, 0, a.length)))).append('\n');
        float[] gated = new float[a.length], probabilities = a.clone();
        SwiGlu.apply(gated, a, b, 0, a.length);
        FloatArrays.softmax(probabilities, 1, a.length - 1);
        out.append("SwiGlu: ").append(Arrays.hashCode(gated)).append(", softmax: ").append(Arrays.hashCode(probabilities)).append('\n');
        return out.toString();
    }

    public static void main(String[] args) {
        System.out.print(compute());
    }
}
