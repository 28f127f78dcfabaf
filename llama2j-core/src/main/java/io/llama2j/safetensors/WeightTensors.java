package io.llama2j.safetensors;

import io.llama2j.tensor.F32Tensor;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.GgmlType;

import java.lang.foreign.MemorySegment;

/** Wraps mapped bytes of a safetensors dtype as a FloatTensor of the tensor engine. */
final class WeightTensors {
    private WeightTensors() {}

    static FloatTensor of(GgmlType type, MemorySegment bytes, long elements) {
        if (type == GgmlType.F32) return new F32Tensor(bytes);
        throw new IllegalArgumentException(type + " tensors need io.llama2j.tensor.FloatTensors (not yet merged)");
    }
}
