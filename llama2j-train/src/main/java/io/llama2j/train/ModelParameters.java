package io.llama2j.train;

import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.tensor.F32Tensor;
import io.llama2j.tensor.FloatTensor;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Every trainable weight of a Llama 2 model in one flat float32 array, with a gradient array of
 * the same layout, addressed by {@link ParameterTensor}s in GGUF naming (token_embd.weight,
 * blk.N.attn_q.weight, ...; the Meta and HF names are in {@link LlamaWeights}). One flat array
 * makes the optimizer, gradient clipping and checkpoints single loops over all parameters.
 * Matrices are [out, in] row-major with Meta's interleaved RoPE row order, as in LlamaWeights.
 *
 * <p>Weight decay applies to matrices and embeddings (as nanoGPT and llama2.c do: every
 * parameter with two dimensions), never to the RMSNorm gains.
 */
public final class ModelParameters extends TrainingWeights implements TrainableParameters {
    private final float[] values;
    private final float[] gradients;

    /** Zero parameters for {@code config}; the output matrix is the embedding when {@code tiedEmbeddings}. */
    public ModelParameters(LlamaConfig config, boolean tiedEmbeddings) {
        super(config, tiedEmbeddings, true);
        this.values = new float[flatSize];
        this.gradients = new float[flatSize];
    }

    /** Fresh parameters drawn as {@link ModelInit} describes. */
    public static ModelParameters initialized(LlamaConfig config, boolean tiedEmbeddings, ModelInit init) {
        ModelParameters p = new ModelParameters(config, tiedEmbeddings);
        SplittableRandom random = new SplittableRandom(init.seed());
        double residualStd = init.std() / Math.sqrt(2.0 * config.nLayers());
        for (ParameterTensor t : p.tensors()) {
            boolean residualProjection = t.name().endsWith("attn_output.weight") || t.name().endsWith("ffn_up.weight");
            if (!t.decays()) {
                java.util.Arrays.fill(p.values, t.offset(), t.end(), 1f);
                continue;
            }
            double std = residualProjection ? residualStd : init.std();
            for (int i = t.offset(); i < t.end(); i++) p.values[i] = (float) (random.nextGaussian() * std);
        }
        return p;
    }

    /** Parameters holding (a float32 copy of) {@code weights}, for fine-tuning a loaded model. */
    public static ModelParameters of(LlamaConfig config, LlamaWeights weights) {
        weights.validate(config, "model to train");
        boolean tied = weights.output() == weights.tokenEmbedding();
        ModelParameters p = new ModelParameters(config, tied);
        p.load(p.tokenEmbedding, weights.tokenEmbedding());
        for (int l = 0; l < config.nLayers(); l++) {
            p.load(p.attentionNorm[l], weights.attentionNorm()[l]);
            p.load(p.wq[l], weights.wq()[l]);
            p.load(p.wk[l], weights.wk()[l]);
            p.load(p.wv[l], weights.wv()[l]);
            p.load(p.wo[l], weights.wo()[l]);
            p.load(p.ffnNorm[l], weights.ffnNorm()[l]);
            p.load(p.w1[l], weights.w1()[l]);
            p.load(p.w2[l], weights.w2()[l]);
            p.load(p.w3[l], weights.w3()[l]);
        }
        p.load(p.outputNorm, weights.outputNorm());
        if (!tied) p.load(p.output, weights.output());
        return p;
    }

    private void load(ParameterTensor t, FloatTensor source) {
        source.dequantize(0, values, t.offset(), t.size());
    }

    /** The weights as F32 tensors (copies) for the inference engine and the model writers. */
    public LlamaWeights toWeights() {
        FloatTensor embedding = copy(tokenEmbedding);
        return new LlamaWeights(embedding,
                copies(attentionNorm), copies(wq), copies(wk), copies(wv), copies(wo),
                copies(ffnNorm), copies(w1), copies(w2), copies(w3),
                copy(outputNorm), tiedEmbeddings() ? embedding : copy(output));
    }

    @Override void embed(int token, float[] out, int outOffset) {
        int dim = config().dim();
        System.arraycopy(values, tokenEmbedding.offset() + token * dim, out, outOffset, dim);
    }

    @Override public boolean frozen() { return false; }

    private FloatTensor copy(ParameterTensor t) {
        return F32Tensor.of(java.util.Arrays.copyOfRange(values, t.offset(), t.end()));
    }

    private FloatTensor[] copies(ParameterTensor[] ts) {
        FloatTensor[] out = new FloatTensor[ts.length];
        for (int i = 0; i < ts.length; i++) out[i] = copy(ts[i]);
        return out;
    }

    /** All parameters, flat (the live array: the optimizer updates it in place). */
    @Override public float[] values() { return values; }

    /** Gradients in the layout of {@link #values()} (the live array). */
    @Override public float[] gradients() { return gradients; }

    public int size() { return values.length; }

    @Override public List<ParameterTensor> tensors() { return super.tensors(); }

    public void zeroGradients() { java.util.Arrays.fill(gradients, 0f); }
}
