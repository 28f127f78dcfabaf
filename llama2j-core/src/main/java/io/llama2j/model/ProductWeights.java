package io.llama2j.model;

import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.Parallel;
import io.llama2j.tensor.Q4_0PackedTensor;
import io.llama2j.tensor.Q4_0Tensor;
import io.llama2j.tensor.Q8_0PackedTensor;
import io.llama2j.tensor.Q8_0Tensor;

import java.util.Locale;

/**
 * The matrices the forward pass multiplies by, in the {@link WeightLayout} it got: the loaded
 * weights with, for {@link WeightLayout#PACKED}, every Q4_0 and Q8_0 matrix replaced by its
 * packed copy. Packing falls back to the loaded weights, with a note saying why, when the
 * machine has no 16-lane vectors or the heap has no room for the copy: a model must still load
 * where it fits memory-mapped.
 *
 * @param weights     the weights the products read (norms and the embedding are always the loaded ones)
 * @param layout      the layout they are in
 * @param packedBytes  heap bytes of the packed copies (0 when mapped)
 * @param heapTooSmall whether packing was asked for but the heap had no room (the commands then
 *                     print {@code note}: the user can raise -Xmx)
 * @param note         one line for the user: what was packed, or why nothing was
 */
public record ProductWeights(LlamaWeights weights, WeightLayout layout, long packedBytes, boolean heapTooSmall, String note) {

    /**
     * Share of the free heap (maximum heap less what is in use) that packed copies may take: the
     * rest is left for the KV cache and activations, which are allocated after the model.
     */
    static final double HEAP_SHARE = 0.75;

    /** The product weights of {@code loaded} in {@code wanted} layout, packed with {@code parallel}'s threads. */
    public static ProductWeights of(LlamaConfig config, LlamaWeights loaded, WeightLayout wanted, Parallel parallel) {
        Runtime runtime = Runtime.getRuntime();
        return of(config, loaded, wanted, parallel, runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory()));
    }

    /** {@link #of(LlamaConfig, LlamaWeights, WeightLayout, Parallel)} with {@code freeHeap} bytes of heap free. */
    static ProductWeights of(LlamaConfig config, LlamaWeights loaded, WeightLayout wanted, Parallel parallel, long freeHeap) {
        if (wanted == WeightLayout.MAPPED) return new ProductWeights(loaded, WeightLayout.MAPPED, 0, false, "weights read as loaded (mapped)");
        long dim = config.dim(), hidden = config.hiddenDim();
        long bytes = packedBytes(loaded.output(), dim) + packedBytes(loaded.wq(), dim) + packedBytes(loaded.wk(), dim)
                + packedBytes(loaded.wv(), dim) + packedBytes(loaded.wo(), dim) + packedBytes(loaded.w1(), dim)
                + packedBytes(loaded.w2(), hidden) + packedBytes(loaded.w3(), dim);
        if (bytes == 0) {
            return new ProductWeights(loaded, WeightLayout.MAPPED, 0, false, "weights read as loaded (no Q4_0/Q8_0 matrix this machine can pack)");
        }
        if (bytes > freeHeap * HEAP_SHARE) {
            return new ProductWeights(loaded, WeightLayout.MAPPED, 0, true, String.format(Locale.ROOT,
                    "weights read as loaded (mapped): packing them needs %.2f GB of heap, %.2f GB is free;"
                            + " a larger -Xmx (LLAMA2J_JAVA_OPTS) makes generation faster",
                    bytes / 1e9, freeHeap / 1e9));
        }
        LlamaWeights products = new LlamaWeights(loaded.tokenEmbedding(), loaded.attentionNorm(),
                packed(loaded.wq(), dim, parallel), packed(loaded.wk(), dim, parallel), packed(loaded.wv(), dim, parallel),
                packed(loaded.wo(), dim, parallel), loaded.ffnNorm(), packed(loaded.w1(), dim, parallel),
                packed(loaded.w2(), hidden, parallel), packed(loaded.w3(), dim, parallel), loaded.outputNorm(),
                packed(loaded.output(), dim, parallel));
        return new ProductWeights(products, WeightLayout.PACKED, bytes, false,
                String.format(Locale.ROOT, "Q4_0/Q8_0 matrices packed for the kernels: %.2f GB on the heap", bytes / 1e9));
    }

    /** Heap bytes {@code t}'s packed copy takes, 0 when it is not packed. */
    private static long packedBytes(FloatTensor t, long cols) {
        if (t instanceof Q4_0Tensor q4 && Q4_0PackedTensor.canPack(q4, cols)) return Q4_0PackedTensor.packedBytes(t.size(), cols);
        if (t instanceof Q8_0Tensor q8 && Q8_0PackedTensor.canPack(q8, cols)) return Q8_0PackedTensor.packedBytes(t.size());
        return 0;
    }

    /** Heap bytes the packed copies of one matrix per layer take. */
    private static long packedBytes(FloatTensor[] layers, long cols) {
        long bytes = 0;
        for (FloatTensor t : layers) bytes += packedBytes(t, cols);
        return bytes;
    }

    /** One matrix per layer, each packed where it can be. */
    private static FloatTensor[] packed(FloatTensor[] layers, long cols, Parallel parallel) {
        FloatTensor[] out = new FloatTensor[layers.length];
        for (int l = 0; l < layers.length; l++) out[l] = packed(layers[l], cols, parallel);
        return out;
    }

    private static FloatTensor packed(FloatTensor t, long cols, Parallel parallel) {
        if (t instanceof Q4_0Tensor q4 && Q4_0PackedTensor.canPack(q4, cols)) {
            Q4_0PackedTensor packed = Q4_0PackedTensor.pack(q4, cols, parallel);
            return packed != null ? packed : t; // an infinite or NaN scale: computed exactly where it is
        }
        if (t instanceof Q8_0Tensor q8 && Q8_0PackedTensor.canPack(q8, cols)) return Q8_0PackedTensor.pack(q8, cols, parallel);
        return t;
    }
}
