package io.llama2j.gguf;

import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;

/**
 * A Llama model loaded from a GGUF file: its configuration, its weights (views of the mapped
 * file) and the file itself, which must stay open as long as the weights are used. Closing the
 * model unmaps the file.
 */
public record GgufModel(GgufFile file, LlamaConfig config, LlamaWeights weights) implements AutoCloseable {
    @Override public void close() {
        file.close();
    }
}
