package io.llama2j.train.bench;

import io.llama2j.model.LlamaConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.ModelInit;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.ModelShape;
import io.llama2j.train.TokenBatch;
import io.llama2j.train.TrainingModel;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * Not a test: tokens/s and MFU of one training step (forward + backward, no optimizer) of a named
 * shape on random tokens, without data files. Run under JFR to see which ops take the time.
 * Arguments: SHAPE VOCAB BATCH SEQ THREADS STEPS [PEAK_GFLOPS].
 *
 * <p>Two rates per step: wall clock, and per second of the process's CPU time divided by the
 * thread count ("cpu"): on the shared 2-core machine the threads are descheduled for much of
 * the wall time, and the CPU-time rate is what the step would run at with the cores to itself
 * (it still counts the pool's spin-waits, the JIT and GC threads).
 */
public final class TrainStepBench {
    public static void main(String[] args) {
        ModelShape shape = ModelShape.named(args[0]);
        int vocab = Integer.parseInt(args[1]), batch = Integer.parseInt(args[2]), seq = Integer.parseInt(args[3]);
        int threads = Integer.parseInt(args[4]), steps = Integer.parseInt(args[5]);
        double peak = args.length > 6 ? Double.parseDouble(args[6]) : 227;
        LlamaConfig config = shape.config(vocab);
        ModelParameters params = ModelParameters.initialized(config, shape.tiedEmbeddings(), ModelInit.withSeed(1));
        Random random = new Random(7);
        int[] inputs = new int[batch * seq], targets = new int[batch * seq];
        for (int i = 0; i < inputs.length; i++) { inputs[i] = random.nextInt(vocab); targets[i] = random.nextInt(vocab); }
        TokenBatch tokens = TokenBatch.unmasked(batch, seq, inputs, targets);
        try (Parallel parallel = new Parallel(threads)) {
            TrainingModel model = new TrainingModel(params, batch, seq, parallel);
            var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            double[] rates = new double[steps], cpuRates = new double[steps];
            for (int s = 0; s < steps; s++) {
                long cpu0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                model.forwardBackward(tokens, 1f / tokens.tokens());
                rates[s] = tokens.tokens() / ((System.nanoTime() - t0) / 1e9);
                cpuRates[s] = tokens.tokens() / ((os.getProcessCpuTime() - cpu0) / 1e9 / threads);
                System.out.printf(Locale.ROOT, "step %d: %.0f tokens/s (cpu %.0f)%n", s + 1, rates[s], cpuRates[s]);
            }
            long n = shape.parameterCount(vocab);
            double median = warmMedian(rates), cpuMedian = warmMedian(cpuRates);
            System.out.printf(Locale.ROOT, "%s vocab %d, %,d parameters, %d x %d, %d threads, load %.1f: median %.0f tokens/s, MFU %.1f%%;"
                            + " cpu %.0f tokens/s, MFU %.1f%% of %.0f GFLOP/s%n",
                    shape.name(), vocab, n, batch, seq, threads, os.getSystemLoadAverage(), median, 100 * 6.0 * n * median / (peak * 1e9),
                    cpuMedian, 100 * 6.0 * n * cpuMedian / (peak * 1e9), peak);
        }
    }

    /** Median of the steps after the first three (JIT warm-up). */
    private static double warmMedian(double[] rates) {
        double[] warm = Arrays.copyOfRange(rates, Math.min(3, rates.length - 1), rates.length);
        Arrays.sort(warm);
        return warm[warm.length / 2];
    }
}
