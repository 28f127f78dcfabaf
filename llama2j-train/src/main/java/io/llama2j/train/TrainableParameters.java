package io.llama2j.train;

import java.util.List;

/**
 * The parameters the optimizer updates: the whole model ({@link ModelParameters}) for
 * pretraining and full fine-tuning, or only an adapter's (LoRA) with the model frozen. Flat
 * value and gradient arrays addressed by named {@link ParameterTensor}s.
 */
public interface TrainableParameters {
    float[] values();

    float[] gradients();

    int size();

    /** Every tensor in storage order; {@link ParameterTensor#decays()} says where weight decay applies. */
    List<ParameterTensor> tensors();

    void zeroGradients();
}
