package io.llama2j.convert;

import io.llama2j.loading.ModelFormat;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;

import java.nio.file.Path;

/**
 * A model opened for conversion: its shape, its weights (views of mapped files, valid until
 * close) and where its vocabulary can be read from (a tokenizer file, or the GGUF itself).
 *
 * @param tokenizerSource a tokenizer.model / tokenizer.json / tokenizer.bin / .gguf file, or null
 */
public record SourceModel(ModelFormat format, Path path, LlamaConfig config, LlamaWeights weights,
                          Path tokenizerSource, AutoCloseable resources) implements AutoCloseable {
    @Override public void close() throws Exception {
        if (resources != null) resources.close();
    }
}
