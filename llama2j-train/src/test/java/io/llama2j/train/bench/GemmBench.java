package io.llama2j.train.bench;

import io.llama2j.tensor.Parallel;
import io.llama2j.train.kernels.Gemm;
import jdk.incubator.vector.FloatVector;

/** Not a test: GEMM GFLOP/s next to a pure-FMA loop measured in the same moment (a noisy machine). */
public final class GemmBench {
    public static void main(String[] args) {
        int threads = Integer.parseInt(args.length > 0 ? args[0] : "1");
        try (Parallel p = new Parallel(threads)) {
            int[][] shapes = {{1024, 768, 288}, {1024, 288, 768}, {288, 768, 1024}, {1024, 512, 64}};
            for (int round = 0; round < 3; round++) {
                double peak = fmaPeak();
                StringBuilder line = new StringBuilder(String.format("fma loop 1 thread %.1f GFLOP/s |", peak));
                for (int[] s : shapes) {
                    int m = s[0], n = s[1], k = s[2];
                    float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
                    java.util.Arrays.fill(a, 0.5f); java.util.Arrays.fill(b, 0.25f);
                    int reps = 5;
                    long t0 = System.nanoTime();
                    for (int r = 0; r < reps; r++) Gemm.multiply(p, a, 0, false, b, 0, c, 0, m, n, k, false);
                    double sec = (System.nanoTime() - t0) / 1e9;
                    line.append(String.format(" %dx%dx%d %.1f", m, n, k, 2.0 * m * n * k * reps / sec / 1e9));
                }
                System.out.println(line);
            }
        }
    }

    static double fmaPeak() {
        var f = FloatVector.SPECIES_PREFERRED;
        FloatVector a0 = FloatVector.broadcast(f, 1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
        FloatVector x = FloatVector.broadcast(f, 0.999999f), y = FloatVector.broadcast(f, 1e-7f);
        long iters = 20_000_000;
        long t0 = System.nanoTime();
        for (long i = 0; i < iters; i++) {
            a0 = a0.fma(x, y); a1 = a1.fma(x, y); a2 = a2.fma(x, y); a3 = a3.fma(x, y); a4 = a4.fma(x, y);
            a5 = a5.fma(x, y); a6 = a6.fma(x, y); a7 = a7.fma(x, y); a8 = a8.fma(x, y); a9 = a9.fma(x, y);
        }
        double sec = (System.nanoTime() - t0) / 1e9;
        float sink = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        if (sink == 42) System.out.println();
        return 10.0 * iters * f.length() * 2 / sec / 1e9;
    }
}
