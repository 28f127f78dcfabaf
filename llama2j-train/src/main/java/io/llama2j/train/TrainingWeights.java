package io.llama2j.train;

import io.llama2j.model.LlamaConfig;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights a {@link TrainingModel} runs on, addressed by {@link ParameterTensor}s in GGUF
 * naming (token_embd.weight, blk.N.attn_q.weight, ...; the Meta and HF names are in
 * {@link io.llama2j.model.LlamaWeights}): every tensor in one flat float32 array
 * ({@link ModelParameters}, trainable), or a frozen base whose matrices stay in their quantized
 * storage ({@link QuantizedWeights}, QLoRA) with only the norm gains in the flat array.
 * Matrices are [out, in] row-major with Meta's interleaved RoPE row order, as in LlamaWeights.
 */
public abstract sealed class TrainingWeights permits ModelParameters, QuantizedWeights {
    /** Offset of a tensor that is not in {@link #values()} (a matrix of a quantized base). */
    static final int NOT_IN_VALUES = -1;

    private final LlamaConfig config;
    private final boolean tiedEmbeddings;
    private final Map<String, ParameterTensor> byName;
    /** Floats of {@link #values()}. */
    final int flatSize;

    public final ParameterTensor tokenEmbedding, outputNorm, output;
    public final ParameterTensor[] attentionNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3;

    /**
     * The layout of a model of {@code config}: the output matrix is the embedding when
     * {@code tiedEmbeddings}; matrices get offsets in the flat array only when {@code matricesInValues}.
     */
    TrainingWeights(LlamaConfig config, boolean tiedEmbeddings, boolean matricesInValues) {
        this.config = config;
        this.tiedEmbeddings = tiedEmbeddings;
        int dim = config.dim(), kv = config.kvDim(), hidden = config.hiddenDim(), vocab = config.vocabSize();
        int layers = config.nLayers();
        Layout layout = new Layout(matricesInValues);
        tokenEmbedding = layout.add("token_embd.weight", true, vocab, dim);
        attentionNorm = new ParameterTensor[layers];
        wq = new ParameterTensor[layers]; wk = new ParameterTensor[layers]; wv = new ParameterTensor[layers];
        wo = new ParameterTensor[layers]; ffnNorm = new ParameterTensor[layers];
        w1 = new ParameterTensor[layers]; w2 = new ParameterTensor[layers]; w3 = new ParameterTensor[layers];
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            attentionNorm[l] = layout.add(p + "attn_norm.weight", false, dim);
            wq[l] = layout.add(p + "attn_q.weight", true, dim, dim);
            wk[l] = layout.add(p + "attn_k.weight", true, kv, dim);
            wv[l] = layout.add(p + "attn_v.weight", true, kv, dim);
            wo[l] = layout.add(p + "attn_output.weight", true, dim, dim);
            ffnNorm[l] = layout.add(p + "ffn_norm.weight", false, dim);
            w1[l] = layout.add(p + "ffn_gate.weight", true, hidden, dim);
            w2[l] = layout.add(p + "ffn_down.weight", true, dim, hidden);
            w3[l] = layout.add(p + "ffn_up.weight", true, hidden, dim);
        }
        outputNorm = layout.add("output_norm.weight", false, dim);
        output = tiedEmbeddings ? tokenEmbedding : layout.add("output.weight", true, vocab, dim);
        this.byName = Collections.unmodifiableMap(layout.tensors);
        this.flatSize = layout.size;
    }

    private static final class Layout {
        final Map<String, ParameterTensor> tensors = new LinkedHashMap<>();
        final boolean matricesInValues;
        int size;

        Layout(boolean matricesInValues) { this.matricesInValues = matricesInValues; }

        ParameterTensor add(String name, boolean decays, int... shape) {
            long n = 1;
            for (int d : shape) n *= d;
            if (shape.length == 2 && !matricesInValues) {
                ParameterTensor t = new ParameterTensor(name, NOT_IN_VALUES, shape, decays);
                tensors.put(name, t);
                return t;
            }
            if (size + n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("model too large for one float array: " + name + " would end at " + (size + n));
            }
            ParameterTensor t = new ParameterTensor(name, size, shape, decays);
            tensors.put(name, t);
            size += (int) n;
            return t;
        }
    }

    public LlamaConfig config() { return config; }

    public boolean tiedEmbeddings() { return tiedEmbeddings; }

    /** The flat float32 values: every tensor, or the norm gains only when the matrices are stored apart. */
    public abstract float[] values();

    /** Gradients in the layout of {@link #values()} (a frozen base's are scratch that nothing reads). */
    public abstract float[] gradients();

    /** Whether the weights are frozen: the training model computes no gradient for them. */
    public abstract boolean frozen();

    /** out[outOffset, +dim) = the embedding row of {@code token}. */
    abstract void embed(int token, float[] out, int outOffset);

    /** Every tensor in storage order (a tied output is listed once, as the embedding). */
    public List<ParameterTensor> tensors() { return new ArrayList<>(byName.values()); }

    public ParameterTensor tensor(String name) {
        ParameterTensor t = byName.get(name);
        if (t == null) throw new IllegalArgumentException("no parameter tensor named " + name);
        return t;
    }

    /** The model's parameter count (every tensor, stored anywhere). */
    public long parameterCount() {
        long n = 0;
        for (ParameterTensor t : byName.values()) n += t.size();
        return n;
    }
}
