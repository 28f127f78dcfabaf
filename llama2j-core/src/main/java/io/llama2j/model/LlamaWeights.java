package io.llama2j.model;

import io.llama2j.tensor.FloatTensor;

/**
 * Every weight of a Llama 2 model, whatever file it came from. Per-layer arrays are indexed by
 * layer. Matrices are [out, in] row-major. Query and key rows are in Meta's (and GGUF's)
 * layout, where RoPE rotates interleaved pairs (x[2i], x[2i+1]) of each head; loaders of
 * Hugging Face files undo HF's row permutation so that one RoPE serves every format.
 *
 * <p>Names, with Meta / Hugging Face / GGUF equivalents:
 * <pre>
 * tokenEmbedding  tok_embeddings            model.embed_tokens             token_embd      (vocab, dim)
 * attentionNorm   layers.N.attention_norm   input_layernorm                attn_norm       (dim)
 * wq, wk, wv, wo  layers.N.attention.wq..   self_attn.q/k/v/o_proj         attn_q/k/v/output
 *                 wq (dim, dim), wk and wv (kvDim, dim), wo (dim, dim)
 * ffnNorm         layers.N.ffn_norm         post_attention_layernorm       ffn_norm        (dim)
 * w1 (gate)       feed_forward.w1           mlp.gate_proj                  ffn_gate        (hidden, dim)
 * w2 (down)       feed_forward.w2           mlp.down_proj                  ffn_down        (dim, hidden)
 * w3 (up)         feed_forward.w3           mlp.up_proj                    ffn_up          (hidden, dim)
 * outputNorm      norm                      model.norm                     output_norm     (dim)
 * output          output                    lm_head                        output          (vocab, dim)
 * </pre>
 * A model with tied embeddings passes {@code tokenEmbedding} as {@code output}.
 */
public record LlamaWeights(
        FloatTensor tokenEmbedding,
        FloatTensor[] attentionNorm,
        FloatTensor[] wq, FloatTensor[] wk, FloatTensor[] wv, FloatTensor[] wo,
        FloatTensor[] ffnNorm,
        FloatTensor[] w1, FloatTensor[] w2, FloatTensor[] w3,
        FloatTensor outputNorm,
        FloatTensor output) {

    /** Checks that every tensor is present with the element count the configuration implies. */
    public void validate(LlamaConfig c, String source) {
        long dim = c.dim(), kv = c.kvDim(), hidden = c.hiddenDim(), vocab = c.vocabSize();
        check(source, "token embedding", tokenEmbedding, vocab * dim);
        check(source, "output norm", outputNorm, dim);
        check(source, "output", output, vocab * dim);
        FloatTensor[][] perLayer = {attentionNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3};
        String[] names = {"attention norm", "wq", "wk", "wv", "wo", "ffn norm", "w1 (gate)", "w2 (down)", "w3 (up)"};
        long[] sizes = {dim, dim * dim, kv * dim, kv * dim, dim * dim, dim, hidden * dim, dim * hidden, hidden * dim};
        for (int t = 0; t < perLayer.length; t++) {
            if (perLayer[t] == null || perLayer[t].length != c.nLayers()) {
                throw new IllegalArgumentException(source + ": expected " + c.nLayers() + " layers of " + names[t]
                        + ", found " + (perLayer[t] == null ? 0 : perLayer[t].length));
            }
            for (int l = 0; l < c.nLayers(); l++) {
                check(source, "layer " + l + " " + names[t], perLayer[t][l], sizes[t]);
            }
        }
    }

    private static void check(String source, String name, FloatTensor t, long expected) {
        if (t == null) throw new IllegalArgumentException(source + ": missing tensor " + name);
        if (t.size() != expected) {
            throw new IllegalArgumentException(source + ": tensor " + name + " has " + t.size()
                    + " elements, expected " + expected);
        }
    }
}
