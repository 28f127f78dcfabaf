package io.llama2j.train;

/**
 * Where adapters (LoRA, {@code io.llama2j.train.lora}) attach to the training model: called
 * beside every projection out = in·Wᵀ of {@link TrainingModel}, forward and backward. With an
 * adapter whose {@link #trainsBase()} is false the base weights get no gradient (frozen).
 */
public interface ProjectionAdapter {
    /**
     * out (tokens, rows) += adapter(in (tokens, columns)) after out = in·Wᵀ for base weight
     * {@code weight}; {@code training} is false for evaluation forwards (no dropout).
     */
    void forward(ParameterTensor weight, float[] in, float[] out, int tokens, boolean training);

    /**
     * For the forward call on {@code weight} with the same {@code in}: dIn (tokens, columns) +=
     * the adapter's input gradient, and the adapter's own parameter gradients += from dOut.
     */
    void backward(ParameterTensor weight, float[] dOut, float[] in, float[] dIn, int tokens);

    /** Whether the base weights are trained too (false: frozen, no gradient computed for them). */
    boolean trainsBase();
}
