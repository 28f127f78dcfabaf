package io.llama2j.lora;

/**
 * One projection's adapter matrices: A (rank, in) and B (out, rank), row-major, rows of B in
 * Meta's interleaved-RoPE order (like {@link io.llama2j.model.LlamaWeights}).
 */
public record LoraWeights(int rank, int rows, int columns, float[] a, float[] b) {
    public LoraWeights {
        if ((long) rank * columns != a.length || (long) rows * rank != b.length) {
            throw new IllegalArgumentException("LoRA matrices of rank " + rank + " for a " + rows + " x " + columns
                    + " projection need A of " + (long) rank * columns + " and B of " + (long) rows * rank
                    + " elements, found " + a.length + " and " + b.length);
        }
    }

    /** A zero adapter (A and B both zero). */
    public static LoraWeights zeros(int rank, int rows, int columns) {
        return new LoraWeights(rank, rows, columns, new float[rank * columns], new float[rows * rank]);
    }
}
