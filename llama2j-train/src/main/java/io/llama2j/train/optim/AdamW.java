package io.llama2j.train.optim;

import io.llama2j.tensor.Parallel;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.TrainableParameters;
import io.llama2j.train.ParameterTensor;

/**
 * AdamW (Loshchilov and Hutter 2019, Algorithm 2) over a model's flat parameters, with global-
 * norm gradient clipping first (Pascanu et al. 2013). PyTorch's torch.optim.AdamW update:
 * <pre>
 *   g = clip(g);  m = β1 m + (1 − β1) g;  v = β2 v + (1 − β2) g²
 *   θ = θ − lr · (λ θ [decayed tensors only] + (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + eps))
 * </pre>
 * The moments are part of the state a checkpoint saves ({@link #firstMoment()}, {@link #secondMoment()}).
 */
public final class AdamW {
    /** Parameters below which the update stays on one thread. */
    private static final int MIN_PARALLEL_ELEMENTS = 1 << 14;
    private final OptimizerConfig config;
    private final float[] m, v;
    /** 1 where the parameter takes weight decay, per element (norm gains are 0). */
    private final boolean[] decays;
    private long updates;

    public AdamW(OptimizerConfig config, TrainableParameters params) {
        this.config = config;
        this.m = new float[params.size()];
        this.v = new float[params.size()];
        this.decays = new boolean[params.size()];
        for (ParameterTensor t : params.tensors()) {
            if (t.decays()) java.util.Arrays.fill(decays, t.offset(), t.end(), true);
        }
    }

    /**
     * AdamW over a flat array that is not a {@link ModelParameters} (a reward model's scalar head):
     * {@code decays[i]} says whether element i takes weight decay.
     */
    public AdamW(OptimizerConfig config, boolean[] decays) {
        this.config = config;
        this.m = new float[decays.length];
        this.v = new float[decays.length];
        this.decays = decays.clone();
    }

    public OptimizerConfig config() { return config; }

    public float[] firstMoment() { return m; }

    public float[] secondMoment() { return v; }

    /** Updates applied so far (t in the bias corrections). */
    public long updates() { return updates; }

    public void restore(long updates) { this.updates = updates; }

    /** The global L2 norm of the gradient, summed in double in index order (deterministic). */
    public static double gradientNorm(float[] g) {
        double sum = 0;
        for (float x : g) sum += (double) x * x;
        return Math.sqrt(sum);
    }

    /**
     * Clips the gradient to the configured global norm, applies one update with learning rate
     * {@code lr} and returns the gradient norm before clipping.
     */
    public double step(Parallel parallel, float[] params, float[] grads, double lr) {
        double norm = gradientNorm(grads);
        double clip = config.gradientClip();
        float gradScale = clip > 0 && norm > clip ? (float) (clip / norm) : 1f;
        updates++;
        float b1 = (float) config.beta1(), b2 = (float) config.beta2();
        float correction1 = (float) (1 - Math.pow(config.beta1(), updates));
        float correction2 = (float) (1 - Math.pow(config.beta2(), updates));
        float learningRate = (float) lr, decay = (float) config.weightDecay(), eps = (float) config.epsilon();
        parallel.forRange(params.length, MIN_PARALLEL_ELEMENTS, (first, end) -> {
            for (int i = first; i < end; i++) {
                float g = grads[i] * gradScale;
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                float mHat = m[i] / correction1, vHat = v[i] / correction2;
                float update = mHat / ((float) Math.sqrt(vHat) + eps);
                if (decays[i]) update += decay * params[i];
                params[i] -= learningRate * update;
            }
        });
        return norm;
    }
}
