package io.llama2j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llama2j.model.LlamaConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The shape of a model to pretrain, without its vocabulary (which comes from the tokenizer of
 * the data). Named shapes are llama2.c's TinyStories models (README "models" table; hidden sizes
 * from its model.py sizing with multiple_of 32, or 4 for stories260K); they tie the classifier
 * to the embedding, as llama2.c does.
 *
 * @param rmsNormEps RMSNorm epsilon (Llama 2: 1e-5)
 * @param ropeTheta  RoPE base (Llama 2: 10000)
 */
public record ModelShape(String name, int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int contextLength,
                         float rmsNormEps, float ropeTheta, boolean tiedEmbeddings) {
    public static final float LLAMA2_RMS_NORM_EPS = 1e-5f;
    public static final float LLAMA2_ROPE_THETA = 10000f;

    public static final Map<String, ModelShape> NAMED = Map.of(
            "stories260K", llama2c("stories260K", 64, 172, 5, 8, 4, 512),
            "stories15M", llama2c("stories15M", 288, 768, 6, 6, 6, 256),
            "stories42M", llama2c("stories42M", 512, 1376, 8, 8, 8, 1024),
            "stories110M", llama2c("stories110M", 768, 2048, 12, 12, 12, 1024));

    private static ModelShape llama2c(String name, int dim, int hidden, int layers, int heads, int kvHeads, int seq) {
        return new ModelShape(name, dim, hidden, layers, heads, kvHeads, seq, LLAMA2_RMS_NORM_EPS, LLAMA2_ROPE_THETA, true);
    }

    public static ModelShape named(String name) {
        ModelShape s = NAMED.get(name);
        if (s == null) {
            throw new IllegalArgumentException("unknown shape " + name + "; known: " + String.join(", ", new java.util.TreeSet<>(NAMED.keySet())));
        }
        return s;
    }

    /**
     * A shape from a JSON file with dim, hidden_dim, n_layers, n_heads, and optionally
     * n_kv_heads (default n_heads), context_length (default 512), rms_norm_eps, rope_theta and
     * tied_embeddings (default true).
     */
    public static ModelShape fromJson(Path file) throws IOException {
        JsonNode j = new ObjectMapper().readTree(file.toFile());
        if (j == null || !j.isObject()) throw new IOException(file + ": expected a JSON object with the model shape");
        for (String required : new String[]{"dim", "hidden_dim", "n_layers", "n_heads"}) {
            if (!j.path(required).isInt()) throw new IOException(file + ": field " + required + ": expected an integer, found " + j.path(required));
        }
        String name = file.getFileName().toString().replaceFirst("\\.json$", "");
        return new ModelShape(name, j.get("dim").asInt(), j.get("hidden_dim").asInt(), j.get("n_layers").asInt(),
                j.get("n_heads").asInt(), j.path("n_kv_heads").asInt(j.get("n_heads").asInt()), j.path("context_length").asInt(512),
                (float) j.path("rms_norm_eps").asDouble(LLAMA2_RMS_NORM_EPS), (float) j.path("rope_theta").asDouble(LLAMA2_ROPE_THETA),
                j.path("tied_embeddings").asBoolean(true));
    }

    /** The full model configuration for a vocabulary of {@code vocabSize} tokens. */
    public LlamaConfig config(int vocabSize) {
        return new LlamaConfig(dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, contextLength, rmsNormEps, ropeTheta);
    }

    /** Trainable parameters with a vocabulary of {@code vocabSize}. */
    public long parameterCount(int vocabSize) {
        LlamaConfig c = config(vocabSize);
        long perLayer = 2L * c.dim() + 2L * c.dim() * c.dim() + 2L * c.kvDim() * c.dim() + 3L * c.hiddenDim() * c.dim();
        return (long) vocabSize * dim * (tiedEmbeddings ? 1 : 2) + nLayers * perLayer + dim;
    }

    @Override public String toString() {
        return String.format(Locale.ROOT, "%s (dim %d, hidden %d, %d layers, %d heads, %d kv heads, context %d)",
                name, dim, hiddenDim, nLayers, nHeads, nKvHeads, contextLength);
    }
}
