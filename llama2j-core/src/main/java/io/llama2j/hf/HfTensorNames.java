package io.llama2j.hf;

/** Hugging Face Transformers tensor names of a LlamaForCausalLM (see LlamaWeights for the mapping). */
final class HfTensorNames {
    private HfTensorNames() {}

    static final String EMBEDDING = "model.embed_tokens.weight";
    static final String OUTPUT_NORM = "model.norm.weight";
    static final String OUTPUT = "lm_head.weight";

    static String layer(int layer, String suffix) {
        return "model.layers." + layer + "." + suffix + ".weight";
    }

    static final String ATTENTION_NORM = "input_layernorm";
    static final String WQ = "self_attn.q_proj";
    static final String WK = "self_attn.k_proj";
    static final String WV = "self_attn.v_proj";
    static final String WO = "self_attn.o_proj";
    static final String FFN_NORM = "post_attention_layernorm";
    static final String W1_GATE = "mlp.gate_proj";
    static final String W2_DOWN = "mlp.down_proj";
    static final String W3_UP = "mlp.up_proj";
}
