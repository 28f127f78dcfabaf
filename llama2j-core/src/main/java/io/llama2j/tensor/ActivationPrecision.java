package io.llama2j.tensor;

/**
 * What a matrix product does with its activation vector before multiplying it with a quantized
 * weight matrix. {@link io.llama2j.model.Llama}'s default is {@link #QUANTIZED_8BIT}, as
 * llama.cpp's.
 */
public enum ActivationPrecision {
    /** The activations stay float32 and every weight block is dequantized to float: the exact path. */
    FLOAT32,
    /**
     * For Q4_0 and Q8_0 weights, the activations are first quantized to Q8_0 blocks
     * ({@link Q8Activations}), as llama.cpp's CPU backend does, which moves logits by up to
     * PROVENANCE.md's "llama.cpp vs exact" column and makes them equal to llama.cpp's own. The
     * products are then integer multiply-adds scaled once per block (packed Q4_0: the fastest
     * generation kernel, {@link Q4_0PackedTensor#dotQ8}; packed Q8_0, and Q4_0 and Q8_0 in the
     * file's layout), or, for prompt batches, whose matrix-matrix kernel multiplies floats, float
     * products of the values the quantization keeps, equal up to float32 summation order. Other
     * weight types stay float32.
     */
    QUANTIZED_8BIT
}
