package io.llama2j.model;

/** Where the forward pass reads its weight matrices from. */
public enum WeightLayout {
    /**
     * Q4_0 and Q8_0 matrices copied once, at load time, into the layouts their generation kernels
     * read fastest ({@link io.llama2j.tensor.Q4_0PackedTensor}, {@link io.llama2j.tensor.Q8_0PackedTensor})
     * on the Java heap; other types stay as loaded. The default: generation on the 7B shape runs
     * several times faster than from the mapped file (BENCHMARKS.md, "Speed"), for a copy of the
     * matrices' size on the heap and a longer load.
     */
    PACKED,
    /** Every matrix read where the loader put it (for GGUF files: the memory-mapped file, no copy). */
    MAPPED
}
