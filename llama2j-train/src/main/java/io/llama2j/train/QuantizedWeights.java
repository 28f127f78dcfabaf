package io.llama2j.train;

import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.Nf4Tensor;

import java.util.HashMap;
import java.util.Map;

/**
 * The frozen base model of QLoRA (Dettmers et al. 2023): every matrix (embedding, projections,
 * output) stays a {@link FloatTensor} in its storage type and is dequantized block by block on
 * the fly by the training model's forward and backward ({@link io.llama2j.train.kernels.QuantizedMatrixOps});
 * only the RMSNorm gains are float32 (in {@link #values()}). Nothing is trained here: LoRA
 * adapters beside the projections are ({@link io.llama2j.train.lora.LoraParameters}).
 * <ul>
 *   <li>{@link Storage#AS_LOADED}: the loaded tensors as they are, e.g. a GGUF's memory-mapped
 *       Q4_0 / Q8_0 blocks (no copy: the file's pages are the model).</li>
 *   <li>{@link Storage#NF4}: every matrix quantized at load to 4-bit NormalFloat (QLoRA §3), for
 *       F32 / F16 / BF16 bases (about 4.5 bits per parameter).</li>
 * </ul>
 */
public final class QuantizedWeights extends TrainingWeights {
    /** How the frozen matrices are kept. */
    public enum Storage {
        /** As loaded (memory-mapped quantized blocks stay where they are). */
        AS_LOADED,
        /** Quantized to NF4 at load. */
        NF4
    }

    private final Storage storage;
    private final Map<String, FloatTensor> matrices = new HashMap<>();
    private final float[] gains;
    private final float[] scratchGradients;

    private QuantizedWeights(LlamaConfig config, boolean tied, Storage storage) {
        super(config, tied, false);
        this.storage = storage;
        this.gains = new float[flatSize];
        this.scratchGradients = new float[flatSize];
    }

    /** The frozen base of {@code weights} (validated against {@code config}), matrices kept as {@code storage} says. */
    public static QuantizedWeights of(LlamaConfig config, LlamaWeights weights, Storage storage) {
        weights.validate(config, "QLoRA base model");
        boolean tied = weights.output() == weights.tokenEmbedding();
        QuantizedWeights q = new QuantizedWeights(config, tied, storage);
        q.matrix(q.tokenEmbedding, weights.tokenEmbedding());
        for (int l = 0; l < config.nLayers(); l++) {
            q.gain(q.attentionNorm[l], weights.attentionNorm()[l]);
            q.matrix(q.wq[l], weights.wq()[l]);
            q.matrix(q.wk[l], weights.wk()[l]);
            q.matrix(q.wv[l], weights.wv()[l]);
            q.matrix(q.wo[l], weights.wo()[l]);
            q.gain(q.ffnNorm[l], weights.ffnNorm()[l]);
            q.matrix(q.w1[l], weights.w1()[l]);
            q.matrix(q.w2[l], weights.w2()[l]);
            q.matrix(q.w3[l], weights.w3()[l]);
        }
        q.gain(q.outputNorm, weights.outputNorm());
        if (!tied) q.matrix(q.output, weights.output());
        return q;
    }

    private void matrix(ParameterTensor t, FloatTensor source) {
        if (storage == Storage.AS_LOADED) {
            matrices.put(t.name(), source);
            return;
        }
        try {
            matrices.put(t.name(), Nf4Tensor.quantize(source));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("QLoRA base model: tensor " + t.name() + " " + java.util.Arrays.toString(t.shape())
                    + " cannot be stored as NF4: " + e.getMessage(), e);
        }
    }

    private void gain(ParameterTensor t, FloatTensor source) {
        source.dequantize(0, gains, t.offset(), t.size());
    }

    public Storage storage() { return storage; }

    /** The stored matrix of {@code weight} (a matrix of this model). */
    public FloatTensor matrix(ParameterTensor weight) {
        FloatTensor m = matrices.get(weight.name());
        if (m == null) throw new IllegalArgumentException("no frozen matrix named " + weight.name());
        return m;
    }

    /** Bytes the frozen matrices take in their storage type (the model's memory, apart from the gains). */
    public long matrixBytes() {
        long bytes = 0;
        for (FloatTensor m : matrices.values()) bytes += m.byteSize();
        return bytes;
    }

    /** The RMSNorm gains (float32); the matrices are not in this array. */
    @Override public float[] values() { return gains; }

    /** Scratch the norms' backward writes into; nothing reads it (the base is frozen). */
    @Override public float[] gradients() { return scratchGradients; }

    @Override public boolean frozen() { return true; }

    @Override void embed(int token, float[] out, int outOffset) {
        int dim = config().dim();
        matrix(tokenEmbedding).dequantize((long) token * dim, out, outOffset, dim);
    }
}
