package io.llama2j.train.rl;

/**
 * PPO hyperparameters (Llama 2 paper §3.2.3). The paper's values are the defaults; GAE's γ and
 * λ are not given there and default to the usual RLHF values (γ 1: an episode is one response;
 * λ 0.95, as in InstructGPT-style implementations).
 *
 * @param iterations      PPO iterations (paper 200–400, with early stopping on held-out prompts)
 * @param batch           prompts sampled per iteration (paper 512)
 * @param miniBatch       samples per gradient step; one step per mini-batch (paper 64)
 * @param clipRange       ε of the clipped objective (paper 0.2)
 * @param gamma           GAE discount
 * @param lambda          GAE λ
 * @param learningRate    constant policy LR (paper 1e-6)
 * @param valueLearningRate constant LR of the value model
 * @param patience        evaluations without a better held-out reward before stopping early
 * @param shaping         the reward's selection, whitening and KL β
 * @param saveEvery       iterations between checkpoints (0: only at the end and on interruption)
 */
public record PpoConfig(int iterations, int batch, int miniBatch, double clipRange, double gamma, double lambda,
                        double learningRate, double valueLearningRate, int patience, RewardShapingConfig shaping, int saveEvery) {
    public static final int PAPER_ITERATIONS = 200;
    public static final int PAPER_BATCH = 512;
    public static final int PAPER_MINI_BATCH = 64;
    public static final double PAPER_CLIP_RANGE = 0.2;
    public static final double DEFAULT_GAMMA = 1.0;
    public static final double DEFAULT_LAMBDA = 0.95;
    public static final double PAPER_LEARNING_RATE = 1e-6;
    public static final double DEFAULT_VALUE_LEARNING_RATE = 1e-5;
    public static final int DEFAULT_PATIENCE = 3;

    public PpoConfig {
        if (iterations <= 0) throw new IllegalArgumentException("iterations must be positive, found " + iterations);
        if (batch <= 0) throw new IllegalArgumentException("batch must be positive, found " + batch);
        if (miniBatch <= 0 || miniBatch > batch) {
            throw new IllegalArgumentException("mini-batch must be in [1, batch " + batch + "], found " + miniBatch);
        }
        if (!(clipRange > 0 && clipRange < 1)) throw new IllegalArgumentException("clip range must be in (0, 1), found " + clipRange);
        if (!(gamma >= 0 && gamma <= 1)) throw new IllegalArgumentException("gamma must be in [0, 1], found " + gamma);
        if (!(lambda >= 0 && lambda <= 1)) throw new IllegalArgumentException("lambda must be in [0, 1], found " + lambda);
        if (!(learningRate > 0)) throw new IllegalArgumentException("learning rate must be > 0, found " + learningRate);
        if (!(valueLearningRate > 0)) throw new IllegalArgumentException("value learning rate must be > 0, found " + valueLearningRate);
        if (patience <= 0) throw new IllegalArgumentException("patience must be positive, found " + patience);
        if (saveEvery < 0) throw new IllegalArgumentException("save-every must be >= 0, found " + saveEvery);
        if (shaping == null) throw new IllegalArgumentException("reward shaping config is required");
    }

    public static PpoConfig paper() {
        return new PpoConfig(PAPER_ITERATIONS, PAPER_BATCH, PAPER_MINI_BATCH, PAPER_CLIP_RANGE, DEFAULT_GAMMA, DEFAULT_LAMBDA,
                PAPER_LEARNING_RATE, DEFAULT_VALUE_LEARNING_RATE, DEFAULT_PATIENCE, RewardShapingConfig.paper(), 0);
    }
}
