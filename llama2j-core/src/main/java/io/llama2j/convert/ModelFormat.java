package io.llama2j.convert;

import java.util.Locale;

/** The model layouts {@code llama2j convert} reads and writes. */
public enum ModelFormat {
    /** One .gguf file (llama.cpp), weights in any supported ggml type, vocabulary in the metadata. */
    GGUF,
    /** A Hugging Face folder: config.json, model.safetensors, tokenizer file. */
    SAFETENSORS,
    /** One llama2.c checkpoint (.bin), float32, no vocabulary. */
    LLAMA2C,
    /** Meta's folder: params.json, consolidated.NN.pth, tokenizer.model. */
    META;

    /** The format named on the command line (case-insensitive), or IllegalArgumentException listing the choices. */
    public static ModelFormat parse(String name) {
        for (ModelFormat f : values()) {
            if (f.name().equalsIgnoreCase(name)) return f;
        }
        throw new IllegalArgumentException("unknown format '" + name + "': expected gguf, safetensors, llama2c or meta");
    }

    /** The format an output path's extension implies: .gguf, .bin (llama2.c), or null (folders have none). */
    public static ModelFormat fromExtension(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".gguf")) return GGUF;
        if (lower.endsWith(".bin")) return LLAMA2C;
        return null;
    }

    @Override public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
