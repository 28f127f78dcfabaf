package io.llama2j.loading;

import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;

import java.nio.file.Path;

/**
 * A model read from disk: where it came from, its format, configuration and weights (usually
 * memory-mapped), and the file its tokenizer is read from (the model file itself for GGUF).
 */
public record LoadedModel(Path source, ModelFormat format, LlamaConfig config, LlamaWeights weights, Path tokenizerFile) {
}
