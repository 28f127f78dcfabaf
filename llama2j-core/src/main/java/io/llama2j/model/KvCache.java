package io.llama2j.model;

/**
 * Keys and values of every processed position, float32, so that generating token n attends to
 * positions 0..n without recomputing them: keys[layer] and values[layer] are (maxSequenceLength, kvDim)
 * row-major, i.e. [layer][pos][kvDim]. Keys are stored after RoPE.
 */
public final class KvCache {
    private final int maxSequenceLength;
    private final int kvDim;
    /** (nLayers, maxSequenceLength * kvDim) */
    final float[][] keys;
    /** (nLayers, maxSequenceLength * kvDim) */
    final float[][] values;

    public KvCache(LlamaConfig config, int maxSequenceLength) {
        if (maxSequenceLength < 1 || maxSequenceLength > config.contextLength()) {
            throw new IllegalArgumentException("KV cache length must be in [1, " + config.contextLength()
                    + "] (the model's context length), found " + maxSequenceLength);
        }
        long perLayer = (long) maxSequenceLength * config.kvDim();
        if (perLayer > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("KV cache of " + maxSequenceLength + " positions x kv_dim " + config.kvDim()
                    + " is too large for one array per layer; choose a shorter context");
        }
        this.maxSequenceLength = maxSequenceLength;
        this.kvDim = config.kvDim();
        this.keys = new float[config.nLayers()][(int) perLayer];
        this.values = new float[config.nLayers()][(int) perLayer];
    }

    public int maxSequenceLength() { return maxSequenceLength; }

    public int kvDim() { return kvDim; }

    /** Bytes held by the cache (keys and values of every layer). */
    public long byteSize() {
        return 2L * keys.length * keys[0].length * Float.BYTES;
    }
}
