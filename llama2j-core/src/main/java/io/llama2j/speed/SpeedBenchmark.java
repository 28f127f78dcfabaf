package io.llama2j.speed;

import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Token throughput of a model, measured as llama.cpp's llama-bench measures it: prompt
 * processing "ppN" (N tokens in one forward call from an empty context) and generation "tgN"
 * (N tokens fed one at a time from an empty context), each repeated after warm-up runs that are
 * not counted. Token ids are random (they do not change the work).
 */
public final class SpeedBenchmark {
    private SpeedBenchmark() {}

    /**
     * @param promptTokens    tokens of the pp test (0: no pp test)
     * @param generatedTokens tokens of the tg test (0: no tg test)
     * @param promptBatch     prompt tokens per forward pass (llama-bench's n_ubatch): each weight matrix is
     *                        read once per batch
     * @param repetitions     measured runs of each test
     * @param warmups         unmeasured runs before them (the JIT compiles the kernels during these)
     * @param seed            seed of the random token ids
     */
    public record Settings(int promptTokens, int generatedTokens, int promptBatch, int repetitions, int warmups, long seed) {
        /** llama-bench's defaults: pp512, tg128, micro-batches of 512, 5 repetitions; one warm-up run as llama-bench does. */
        public static final Settings DEFAULT = new Settings(512, 128, 512, 5, 1, 1234);

        public Settings {
            if (promptTokens < 0 || generatedTokens < 0) {
                throw new IllegalArgumentException("token counts must be >= 0, found pp " + promptTokens + " and tg " + generatedTokens);
            }
            if (promptTokens == 0 && generatedTokens == 0) throw new IllegalArgumentException("nothing to measure: pp and tg are both 0");
            if (promptBatch < 1) throw new IllegalArgumentException("prompt batch must be at least 1, found " + promptBatch);
            if (repetitions < 1) throw new IllegalArgumentException("repetitions must be at least 1, found " + repetitions);
            if (warmups < 0) throw new IllegalArgumentException("warm-up runs must be >= 0, found " + warmups);
        }

        /** KV cache positions the tests need. */
        public int contextLength() { return Math.max(promptTokens, generatedTokens); }
    }

    /**
     * One test's results.
     *
     * @param nPrompt  prompt tokens (pp test) or 0
     * @param nGen     generated tokens (tg test) or 0
     * @param samplesNanos wall time of each measured run
     */
    public record Result(int nPrompt, int nGen, long[] samplesNanos) {
        public String testName() { return nPrompt > 0 ? "pp" + nPrompt : "tg" + nGen; }

        public int tokens() { return nPrompt + nGen; }

        public double[] tokensPerSecond() {
            double[] ts = new double[samplesNanos.length];
            for (int i = 0; i < ts.length; i++) ts[i] = tokens() * 1e9 / samplesNanos[i];
            return ts;
        }

        public double meanTokensPerSecond() { return mean(tokensPerSecond()); }

        /** Sample standard deviation of tokens/s (0 for one sample), as llama-bench reports it. */
        public double stddevTokensPerSecond() { return stddev(tokensPerSecond()); }

        public double meanNanos() {
            double s = 0;
            for (long n : samplesNanos) s += n;
            return s / samplesNanos.length;
        }

        public double stddevNanos() {
            double[] d = new double[samplesNanos.length];
            for (int i = 0; i < d.length; i++) d[i] = samplesNanos[i];
            return stddev(d);
        }
    }

    /** Runs the pp test, then the tg test, on {@code model} with a state sized for them. */
    public static List<Result> run(Llama model, Settings settings) {
        int context = Math.min(settings.contextLength(), model.config().contextLength());
        if (context < settings.contextLength()) {
            throw new IllegalArgumentException("the tests need " + settings.contextLength() + " positions, the model's context is "
                    + model.config().contextLength());
        }
        InferenceState state = new InferenceState(model.config(), context, Math.max(1, Math.min(settings.promptBatch(), settings.promptTokens())));
        int[] tokens = new SplittableRandom(settings.seed()).ints(context, 0, model.config().vocabSize()).toArray();
        List<Result> results = new ArrayList<>();
        if (settings.promptTokens() > 0) {
            int[] prompt = java.util.Arrays.copyOf(tokens, settings.promptTokens());
            results.add(new Result(prompt.length, 0, measure(settings, () -> {
                state.rewind(0);
                model.forward(state, prompt);
            })));
        }
        if (settings.generatedTokens() > 0) {
            int n = settings.generatedTokens();
            int[] one = new int[1];
            results.add(new Result(0, n, measure(settings, () -> {
                state.rewind(0);
                for (int i = 0; i < n; i++) {
                    one[0] = tokens[i];
                    model.forward(state, one);
                }
            })));
        }
        return results;
    }

    private static long[] measure(Settings settings, Runnable test) {
        for (int i = 0; i < settings.warmups(); i++) test.run();
        long[] samples = new long[settings.repetitions()];
        for (int i = 0; i < samples.length; i++) {
            long start = System.nanoTime();
            test.run();
            samples[i] = System.nanoTime() - start;
        }
        return samples;
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    static double stddev(double[] v) {
        if (v.length < 2) return 0;
        double m = mean(v), s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return Math.sqrt(s / (v.length - 1));
    }
}
