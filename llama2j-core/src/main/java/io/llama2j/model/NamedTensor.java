package io.llama2j.model;

import io.llama2j.tensor.FloatTensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A weight with its GGUF-style name and shape, for tensor tables (`llama2j inspect`) and
 * per-tensor reports. Shapes are written [out, in] (rows, columns), as PyTorch prints them.
 */
public record NamedTensor(String name, FloatTensor tensor, long[] shape) {

    /**
     * Every weight of {@code w} in GGUF naming (see {@link LlamaWeights} for the Meta and HF
     * names). A tied output matrix is listed once, as token_embd.
     */
    public static List<NamedTensor> list(LlamaConfig c, LlamaWeights w) {
        long dim = c.dim(), kv = c.kvDim(), hidden = c.hiddenDim(), vocab = c.vocabSize();
        List<NamedTensor> out = new ArrayList<>();
        out.add(new NamedTensor("token_embd.weight", w.tokenEmbedding(), new long[]{vocab, dim}));
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "blk." + l + ".";
            out.add(new NamedTensor(p + "attn_norm.weight", w.attentionNorm()[l], new long[]{dim}));
            out.add(new NamedTensor(p + "attn_q.weight", w.wq()[l], new long[]{dim, dim}));
            out.add(new NamedTensor(p + "attn_k.weight", w.wk()[l], new long[]{kv, dim}));
            out.add(new NamedTensor(p + "attn_v.weight", w.wv()[l], new long[]{kv, dim}));
            out.add(new NamedTensor(p + "attn_output.weight", w.wo()[l], new long[]{dim, dim}));
            out.add(new NamedTensor(p + "ffn_norm.weight", w.ffnNorm()[l], new long[]{dim}));
            out.add(new NamedTensor(p + "ffn_gate.weight", w.w1()[l], new long[]{hidden, dim}));
            out.add(new NamedTensor(p + "ffn_down.weight", w.w2()[l], new long[]{dim, hidden}));
            out.add(new NamedTensor(p + "ffn_up.weight", w.w3()[l], new long[]{hidden, dim}));
        }
        out.add(new NamedTensor("output_norm.weight", w.outputNorm(), new long[]{dim}));
        if (w.output() != w.tokenEmbedding()) out.add(new NamedTensor("output.weight", w.output(), new long[]{vocab, dim}));
        return out;
    }
}
