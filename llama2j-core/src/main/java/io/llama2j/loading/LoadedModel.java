package io.llama2j.loading;

import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.tokenizer.Tokenizer;

import java.nio.file.Path;

/**
 * A model read from disk: where it came from, its format, configuration and weights (usually
 * memory-mapped) and its tokenizer (null when loaded with {@link ModelLoader#loadWeightsOnly}).
 * Closing it releases the mapped files of formats that hold them open (the weights are unusable
 * afterwards); {@code resources} is null where the mapping is released by the garbage collector.
 */
public record LoadedModel(Path source, ModelFormat format, LlamaConfig config, LlamaWeights weights, Tokenizer tokenizer,
                          AutoCloseable resources) implements AutoCloseable {

    @Override
    public void close() throws Exception {
        if (resources != null) resources.close();
    }

    /**
     * Token ids that end a generation with this model: EOS, and BOS too, because llama2.c
     * models trained on TinyStories separate stories with BOS and run.c stops on it.
     */
    public int[] stopTokenIds() {
        if (tokenizer == null) return new int[0];
        return java.util.stream.IntStream.of(tokenizer.eosId(), tokenizer.bosId()).filter(id -> id >= 0).distinct().toArray();
    }
}
