package io.llama2j.meta;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llama2j.model.LlamaConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * params.json of a Meta checkpoint (llama/model.py ModelArgs). Absent fields take ModelArgs'
 * defaults: n_kv_heads = n_heads, multiple_of 256, norm_eps 1e-5, no ffn_dim_multiplier;
 * rope_theta 10000 (Llama 2's fixed base; Code Llama stores 1e6). vocab_size -1 means "the
 * tokenizer's size", which the loader takes from tok_embeddings. params.json holds no context
 * length: Llama 2 was trained with {@link #LLAMA2_CONTEXT_LENGTH} (paper, Table 1).
 */
public record MetaParams(int dim, int nLayers, int nHeads, int nKvHeads, int multipleOf, Double ffnDimMultiplier,
                         double normEps, double ropeTheta, int vocabSize) {
    public static final String FILE_NAME = "params.json";
    static final int DEFAULT_MULTIPLE_OF = 256;
    static final double DEFAULT_NORM_EPS = 1e-5;
    static final double DEFAULT_ROPE_THETA = 10000.0;
    static final int VOCAB_FROM_TOKENIZER = -1;
    public static final int LLAMA2_CONTEXT_LENGTH = 4096;

    /** params.json is a few hundred bytes; anything far larger is not one (checked before reading it). */
    static final long MAX_JSON_BYTES = 1L << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    public static MetaParams read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_JSON_BYTES) {
            throw new IOException(file + ": " + size + " bytes is too large for params.json (limit " + MAX_JSON_BYTES + ")");
        }
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (JacksonException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new IOException(file + ": expected a JSON object");
        int heads = intField(root, "n_heads", file, null);
        JsonNode mult = root.get("ffn_dim_multiplier");
        if (mult != null && !mult.isNull() && !mult.isNumber()) {
            throw new IOException(file + ": ffn_dim_multiplier must be a number or null, found " + mult);
        }
        return new MetaParams(intField(root, "dim", file, null), intField(root, "n_layers", file, null), heads,
                intField(root, "n_kv_heads", file, heads), intField(root, "multiple_of", file, DEFAULT_MULTIPLE_OF),
                mult == null || mult.isNull() ? null : mult.doubleValue(),
                doubleField(root, "norm_eps", file, DEFAULT_NORM_EPS), doubleField(root, "rope_theta", file, DEFAULT_ROPE_THETA),
                intField(root, "vocab_size", file, VOCAB_FROM_TOKENIZER));
    }

    private static int intField(JsonNode root, String name, Path file, Integer fallback) throws IOException {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) {
            if (fallback != null) return fallback;
            throw new IOException(file + ": missing integer field " + name);
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw new IOException(file + ": " + name + " must be an integer, found " + v);
        return v.intValue();
    }

    private static double doubleField(JsonNode root, String name, Path file, double fallback) throws IOException {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) return fallback;
        if (!v.isNumber()) throw new IOException(file + ": " + name + " must be a number, found " + v);
        return v.doubleValue();
    }

    public int hiddenDim() {
        if (multipleOf <= 0) throw new IllegalArgumentException("multiple_of must be positive, found " + multipleOf);
        return LlamaConfig.ffnHiddenDim(dim, multipleOf, ffnDimMultiplier);
    }

    /** The model shape, with {@code vocabSize} resolved (from the embedding when params say -1). */
    public LlamaConfig toLlamaConfig(int resolvedVocabSize, int contextLength, Path source) {
        try {
            return new LlamaConfig(dim, hiddenDim(), nLayers, nHeads, nKvHeads, resolvedVocabSize, contextLength,
                    (float) normEps, (float) ropeTheta);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /** Params that reproduce {@code c}, with an FFN width expressed through multiple_of / ffn_dim_multiplier. */
    public static MetaParams of(LlamaConfig c) {
        int base = LlamaConfig.ffnHiddenDim(c.dim(), 1, null);
        for (int multipleOf : new int[]{DEFAULT_MULTIPLE_OF, 32, c.hiddenDim()}) {
            if (LlamaConfig.ffnHiddenDim(c.dim(), multipleOf, null) == c.hiddenDim()) {
                return new MetaParams(c.dim(), c.nLayers(), c.nHeads(), c.nKvHeads(), multipleOf, null, c.rmsNormEps(),
                        c.ropeTheta(), c.vocabSize());
            }
        }
        double multiplier = (double) c.hiddenDim() / base;
        if (LlamaConfig.ffnHiddenDim(c.dim(), 1, multiplier) != c.hiddenDim()) {
            throw new IllegalArgumentException("hidden_dim " + c.hiddenDim() + " cannot be expressed in params.json for dim " + c.dim());
        }
        return new MetaParams(c.dim(), c.nLayers(), c.nHeads(), c.nKvHeads(), 1, multiplier, c.rmsNormEps(),
                c.ropeTheta(), c.vocabSize());
    }

    ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("dim", dim);
        o.put("multiple_of", multipleOf);
        if (ffnDimMultiplier != null) o.put("ffn_dim_multiplier", ffnDimMultiplier);
        o.put("n_heads", nHeads);
        o.put("n_kv_heads", nKvHeads);
        o.put("n_layers", nLayers);
        o.put("norm_eps", normEps);
        o.put("rope_theta", ropeTheta);
        o.put("vocab_size", vocabSize);
        return o;
    }
}
