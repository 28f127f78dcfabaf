package io.llama2j.loading;

/** The model file formats llama2j reads, recognized by content (see {@link ModelLoader#detect}). */
public enum ModelFormat {
    /** llama2.c checkpoint (.bin): legacy float32, or version 1/2 with the "ak42" magic. */
    LLAMA2C,
    /** GGUF (llama.cpp): magic "GGUF". */
    GGUF,
    /** A Hugging Face model folder (config.json + *.safetensors). */
    HF_FOLDER,
    /** A Meta checkpoint folder (params.json + consolidated.*.pth). */
    META_FOLDER
}
