package io.llama2j.train.bench;

import io.llama2j.tensor.Parallel;
import io.llama2j.tensor.Gemm;
import jdk.incubator.vector.FloatVector;

/**
 * Not a test: GEMM GFLOP/s of the stories15M training shapes (batch 4 × 256 tokens) next to a
 * pure-FMA loop, each the best of several timed repetitions (on a shared machine the best run
 * is the one least disturbed by other tenants). Argument: threads. With one thread the figure is
 * also given per second of the thread's CPU time ("cpu"), which leaves out the time the thread
 * was descheduled: on the shared 2-core machine a product longer than a scheduler slice (a few
 * ms) is almost never timed undisturbed by wall clock.
 */
public final class GemmBench {
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    public static void main(String[] args) {
        int threads = Integer.parseInt(args.length > 0 ? args[0] : "1");
        int rounds = Integer.parseInt(args.length > 1 ? args[1] : "4");
        // {m, n, k, role}: role 0 forward (B = the transposed weight), 1 backward dX (B = W), 2 backward dW (A read transposed)
        int[][] shapes = {{1024, 768, 288, 0}, {1024, 288, 768, 1}, {288, 768, 1024, 2}, {1024, 32000, 288, 0},
                {1024, 288, 32000, 1}, {32000, 288, 1024, 2}};
        String[] roles = {"fwd", "dX", "dW"};
        try (Parallel p = new Parallel(threads)) {
            for (int round = 0; round < rounds; round++) {
                StringBuilder line = new StringBuilder(String.format("fma loop %.1f GFLOP/s/thread |", fmaPeak()));
                for (int[] s : shapes) {
                    int m = s[0], n = s[1], k = s[2], role = s[3];
                    float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
                    java.util.Arrays.fill(a, 0.5f); java.util.Arrays.fill(b, 0.25f);
                    double best = Double.MAX_VALUE, bestCpu = Double.MAX_VALUE;
                    for (int r = 0; r < 4; r++) {
                        long cpu0 = CPU.getCurrentThreadCpuTime();
                        long t0 = System.nanoTime();
                        switch (role) {
                            case 0 -> Gemm.multiply(p, a, 0, false, b, 0, c, 0, m, n, k, false);
                            case 1 -> Gemm.multiply(p, a, 0, false, b, 0, c, 0, m, n, k, true);
                            default -> Gemm.multiply(p, a, 0, true, b, 0, c, 0, m, n, k, true);
                        }
                        best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                        bestCpu = Math.min(bestCpu, (CPU.getCurrentThreadCpuTime() - cpu0) / 1e9);
                    }
                    line.append(String.format(" %s %dx%dx%d %.1f", roles[role], m, n, k, 2.0 * m * n * k / best / 1e9));
                    if (threads == 1) line.append(String.format(" (cpu %.1f)", 2.0 * m * n * k / bestCpu / 1e9));
                }
                System.out.println(line);
            }
        }
    }

    /** Best-of-5 GFLOP/s of 10 independent FMA chains on one thread. */
    static double fmaPeak() {
        double best = 0;
        for (int r = 0; r < 5; r++) best = Math.max(best, fmaLoop(4_000_000));
        return best;
    }

    static double fmaLoop(long iters) {
        var f = FloatVector.SPECIES_PREFERRED;
        FloatVector a0 = FloatVector.broadcast(f, 1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
        FloatVector x = FloatVector.broadcast(f, 0.999999f), y = FloatVector.broadcast(f, 1e-7f);
        long t0 = System.nanoTime();
        for (long i = 0; i < iters; i++) {
            a0 = a0.fma(x, y); a1 = a1.fma(x, y); a2 = a2.fma(x, y); a3 = a3.fma(x, y); a4 = a4.fma(x, y);
            a5 = a5.fma(x, y); a6 = a6.fma(x, y); a7 = a7.fma(x, y); a8 = a8.fma(x, y); a9 = a9.fma(x, y);
        }
        double sec = (System.nanoTime() - t0) / 1e9;
        float[] sink = new float[f.length()];
        a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).intoArray(sink, 0);
        if (sink[0] == 42) System.out.println();
        return 10.0 * iters * f.length() * 2 / sec / 1e9;
    }
}
