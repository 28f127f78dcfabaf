package io.llama2j.lora;

import io.llama2j.model.LlamaConfig;

import java.util.Locale;

/**
 * The projections a LoRA adapter can attach to, with their PEFT module names (the Hugging Face
 * module names of modeling_llama.py) and shapes [out, in]. Meta names: wq, wk, wv, wo, w1, w3, w2.
 */
public enum LoraTarget {
    Q("self_attn", "q_proj"),
    K("self_attn", "k_proj"),
    V("self_attn", "v_proj"),
    O("self_attn", "o_proj"),
    GATE("mlp", "gate_proj"),
    UP("mlp", "up_proj"),
    DOWN("mlp", "down_proj");

    private final String block;
    private final String module;

    LoraTarget(String block, String module) {
        this.block = block;
        this.module = module;
    }

    /** PEFT's target_modules name (q_proj, ..., down_proj). */
    public String module() { return module; }

    /** The module's path inside a layer: self_attn.q_proj, mlp.down_proj. */
    public String path() { return block + "." + module; }

    public int rows(LlamaConfig c) {
        return switch (this) {
            case Q, O, DOWN -> c.dim();
            case K, V -> c.kvDim();
            case GATE, UP -> c.hiddenDim();
        };
    }

    public int columns(LlamaConfig c) {
        return this == DOWN ? c.hiddenDim() : c.dim();
    }

    /** Heads whose rows Hugging Face permutes for rotate_half RoPE (q and k only), else 0. */
    public int ropeHeads(LlamaConfig c) {
        return switch (this) {
            case Q -> c.nHeads();
            case K -> c.nKvHeads();
            default -> 0;
        };
    }

    /** The target for a PEFT module name or a short name (q, k, v, o, gate, up, down). */
    public static LoraTarget parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (LoraTarget t : values()) {
            if (t.module.equals(n) || t.name().toLowerCase(Locale.ROOT).equals(n)) return t;
        }
        throw new IllegalArgumentException("unknown LoRA target module '" + name
                + "'; expected one of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj");
    }
}
