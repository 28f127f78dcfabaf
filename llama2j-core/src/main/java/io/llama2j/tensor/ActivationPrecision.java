package io.llama2j.tensor;

/**
 * What a matrix-vector product does with its activation vector before multiplying it with a
 * quantized weight matrix.
 */
public enum ActivationPrecision {
    /** The activations stay float32 and every weight block is dequantized to float: the exact path. */
    FLOAT32,
    /**
     * For Q4_0 and Q8_0 weights, the activations are first quantized to Q8_0 blocks and the
     * products are integer multiply-adds scaled once per block, as llama.cpp's CPU backend does
     * ({@link Q8Activations}): faster, and equal to llama.cpp's own rounding, which moves logits
     * by up to PROVENANCE.md's "llama.cpp vs exact" column. Other weight types stay float32.
     */
    QUANTIZED_8BIT
}
