package io.llama2j.convert;

import io.llama2j.gguf.GgufModel;
import io.llama2j.gguf.GgufModelLoader;
import io.llama2j.loading.ModelFormat;

import java.io.IOException;
import java.nio.file.Path;

/** Opens a GGUF model for conversion; its own metadata is the vocabulary unless another tokenizer is given. */
final class GgufSource {
    private GgufSource() {}

    static final String TOKENS_KEY = "tokenizer.ggml.tokens";

    static SourceModel open(Path path, Path tokenizer) throws IOException {
        GgufModel m = GgufModelLoader.load(path);
        Path vocabulary = tokenizer != null ? tokenizer : m.file().contains(TOKENS_KEY) ? path : null;
        return new SourceModel(ModelFormat.GGUF, path, m.config(), m.weights(), vocabulary, m);
    }
}
