package io.llama2j.train;

import java.util.Arrays;

/**
 * One named weight inside the flat parameter (and gradient) arrays of a {@link ModelParameters}:
 * its GGUF-style name, where it starts, its shape [out, in] (or [dim] for norm gains), and
 * whether weight decay applies to it. Adapters (LoRA) and per-tensor reports address weights by
 * these names.
 */
public record ParameterTensor(String name, int offset, int[] shape, boolean decays) {
    public ParameterTensor {
        shape = shape.clone();
    }

    public int size() {
        int n = 1;
        for (int d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    public int end() { return offset + size(); }

    public int rows() { return shape[0]; }

    public int columns() { return shape.length > 1 ? shape[1] : 1; }

    @Override public int[] shape() { return shape.clone(); }

    @Override public String toString() { return name + Arrays.toString(shape) + "@" + offset; }
}
