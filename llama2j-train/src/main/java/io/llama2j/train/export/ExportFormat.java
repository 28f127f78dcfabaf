package io.llama2j.train.export;

import java.util.Locale;

/** The files a trained model can be exported as. */
public enum ExportFormat {
    /** One .gguf file with the tokenizer's vocabulary in its metadata (llama.cpp, llama2j). */
    GGUF,
    /** A Hugging Face folder: model.safetensors, config.json and the tokenizer file. */
    HF,
    /** A llama2.c legacy float32 .bin (run.c); the tokenizer stays a separate file. */
    LLAMA2C;

    public static ExportFormat parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "gguf" -> GGUF;
            case "hf", "safetensors" -> HF;
            case "llama2c", "llama2.c", "bin" -> LLAMA2C;
            default -> throw new IllegalArgumentException("unknown export format " + name + "; expected gguf, hf or llama2c");
        };
    }
}
