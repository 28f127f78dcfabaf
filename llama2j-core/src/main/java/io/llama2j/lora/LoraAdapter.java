package io.llama2j.lora;

import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.tensor.F32Tensor;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.Parallel;

import java.util.Arrays;

/**
 * A LoRA adapter for a whole model (Hu et al. 2021): for each adapted projection W of each
 * layer, y = W·x + scale·B·(A·x), with the frozen W untouched. The inference forward applies it
 * beside each projection ({@link #addTo}); {@link #mergeInto} folds it into the weights
 * (W' = W + scale·B·A) for a model that runs without it.
 */
public final class LoraAdapter {
    private final LoraConfig config;
    private final int layers;
    /** [target ordinal][layer]; null for projections without an adapter. */
    private final LoraWeights[][] weights;

    public LoraAdapter(LoraConfig config, int layers, LoraWeights[][] weights) {
        if (weights.length != LoraTarget.values().length) {
            throw new IllegalArgumentException("expected adapter weights for " + LoraTarget.values().length + " targets, found " + weights.length);
        }
        this.config = config;
        this.layers = layers;
        this.weights = new LoraWeights[weights.length][];
        for (LoraTarget t : LoraTarget.values()) {
            LoraWeights[] perLayer = weights[t.ordinal()];
            if (config.targets().contains(t) != (perLayer != null)) {
                throw new IllegalArgumentException("LoRA target " + t.module() + (perLayer == null ? " has no weights" : " is not in the config"));
            }
            if (perLayer != null) {
                if (perLayer.length != layers) {
                    throw new IllegalArgumentException("LoRA " + t.module() + ": expected " + layers + " layers, found " + perLayer.length);
                }
                for (int l = 0; l < layers; l++) {
                    if (perLayer[l] == null || perLayer[l].rank() != config.rank()) {
                        throw new IllegalArgumentException("LoRA " + t.module() + " layer " + l + ": expected rank " + config.rank()
                                + ", found " + (perLayer[l] == null ? "nothing" : perLayer[l].rank()));
                    }
                }
                this.weights[t.ordinal()] = perLayer.clone();
            }
        }
    }

    /** An all-zero adapter for {@code model} (training draws A at random and keeps B = 0, LoRA §4.1). */
    public static LoraAdapter zeros(LoraConfig config, LlamaConfig model) {
        LoraWeights[][] w = new LoraWeights[LoraTarget.values().length][];
        for (LoraTarget t : config.targets()) {
            w[t.ordinal()] = new LoraWeights[model.nLayers()];
            for (int l = 0; l < model.nLayers(); l++) {
                w[t.ordinal()][l] = LoraWeights.zeros(config.rank(), t.rows(model), t.columns(model));
            }
        }
        return new LoraAdapter(config, model.nLayers(), w);
    }

    public LoraConfig config() { return config; }

    public int layers() { return layers; }

    public boolean adapts(LoraTarget target) { return weights[target.ordinal()] != null; }

    /** The matrices of {@code target} in {@code layer}; IllegalArgumentException when not adapted. */
    public LoraWeights weights(LoraTarget target, int layer) {
        if (!adapts(target)) throw new IllegalArgumentException("the adapter has no " + target.module());
        return weights[target.ordinal()][layer];
    }

    /** Checks that every adapted projection has the model's shape. */
    public void validate(LlamaConfig model, String source) {
        if (layers != model.nLayers()) {
            throw new IllegalArgumentException(source + ": adapter has " + layers + " layers, the model " + model.nLayers());
        }
        for (LoraTarget t : config.targets()) {
            LoraWeights w = weights[t.ordinal()][0];
            if (w.rows() != t.rows(model) || w.columns() != t.columns(model)) {
                throw new IllegalArgumentException(source + ": adapter " + t.module() + " is " + w.rows() + " x " + w.columns()
                        + ", the model's projection " + t.rows(model) + " x " + t.columns(model));
            }
        }
    }

    /**
     * out (count, rows) += scale · B · (A · in) for each of {@code count} tokens of in (count,
     * columns): the adapter path of y = W·x + scale·B·A·x. No-op for projections without adapter.
     */
    public void addTo(Parallel parallel, LoraTarget target, int layer, float[] in, float[] out, int count) {
        if (!adapts(target)) return;
        LoraWeights w = weights[target.ordinal()][layer];
        int r = w.rank(), rows = w.rows(), cols = w.columns();
        float scale = config.scale();
        parallel.forRange(count, 1, (first, end) -> {
            float[] ax = new float[r];
            for (int t = first; t < end; t++) {
                for (int k = 0; k < r; k++) {
                    float sum = 0;
                    for (int i = 0; i < cols; i++) sum += w.a()[k * cols + i] * in[t * cols + i];
                    ax[k] = sum * scale;
                }
                for (int o = 0; o < rows; o++) {
                    float sum = 0;
                    for (int k = 0; k < r; k++) sum += w.b()[o * r + k] * ax[k];
                    out[t * rows + o] += sum;
                }
            }
        });
    }

    /** The merged matrix W + scale·B·A (rows, columns), float32. */
    public float[] merged(LoraTarget target, int layer, FloatTensor base) {
        LoraWeights w = weights(target, layer);
        int r = w.rank(), rows = w.rows(), cols = w.columns();
        float[] out = new float[Math.multiplyExact(rows, cols)];
        base.dequantize(0, out, 0, out.length);
        float scale = config.scale();
        float[] row = new float[r];
        for (int o = 0; o < rows; o++) {
            for (int k = 0; k < r; k++) row[k] = scale * w.b()[o * r + k];
            for (int k = 0; k < r; k++) {
                float bk = row[k];
                if (bk == 0f) continue;
                int aRow = k * cols, outRow = o * cols;
                for (int i = 0; i < cols; i++) out[outRow + i] += bk * w.a()[aRow + i];
            }
        }
        return out;
    }

    /** {@code base} with every adapted projection replaced by its merged float32 matrix. */
    public LlamaWeights mergeInto(LlamaConfig model, LlamaWeights base) {
        validate(model, "merge");
        FloatTensor[][] projections = {base.wq().clone(), base.wk().clone(), base.wv().clone(), base.wo().clone(),
                base.w1().clone(), base.w3().clone(), base.w2().clone()};
        for (LoraTarget t : config.targets()) {
            FloatTensor[] perLayer = projections[t.ordinal()];
            for (int l = 0; l < layers; l++) perLayer[l] = F32Tensor.of(merged(t, l, perLayer[l]));
        }
        return new LlamaWeights(base.tokenEmbedding(), base.attentionNorm(),
                projections[LoraTarget.Q.ordinal()], projections[LoraTarget.K.ordinal()],
                projections[LoraTarget.V.ordinal()], projections[LoraTarget.O.ordinal()],
                base.ffnNorm(), projections[LoraTarget.GATE.ordinal()], projections[LoraTarget.DOWN.ordinal()],
                projections[LoraTarget.UP.ordinal()], base.outputNorm(), base.output());
    }

    @Override public String toString() {
        return "LoRA r=" + config.rank() + " alpha=" + config.alpha() + " on " + Arrays.toString(config.targets().toArray());
    }
}
