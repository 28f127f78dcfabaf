package io.llama2j.train;

/**
 * How fresh parameters are drawn (llama2.c model.py {@code _init_weights}, after GPT-2):
 * matrices and embeddings N(0, std²); the projections that write into the residual stream
 * (attention output wo and, as llama2.c does, the FFN's w3) N(0, (std / √(2·nLayers))²) so
 * the residual's variance does not grow with depth (Radford et al. 2019 §2.3); norm gains 1.
 *
 * @param std  standard deviation of the matrices (llama2.c, GPT-2: 0.02)
 * @param seed seed of the draw
 */
public record ModelInit(double std, long seed) {
    public static final double DEFAULT_STD = 0.02;

    public ModelInit {
        if (!(std > 0)) throw new IllegalArgumentException("init std must be positive, found " + std);
    }

    public static ModelInit withSeed(long seed) { return new ModelInit(DEFAULT_STD, seed); }
}
