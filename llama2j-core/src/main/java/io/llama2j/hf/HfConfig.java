package io.llama2j.hf;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llama2j.model.LlamaConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The fields of a Hugging Face Transformers config.json that define a Llama model
 * (transformers LlamaConfig). Defaults are Transformers' own, applied only when a field is absent:
 * num_key_value_heads = num_attention_heads (MHA), rope_theta = 10000, tie_word_embeddings = false,
 * rms_norm_eps = 1e-6 (LlamaConfig's default; every Llama 2 checkpoint stores 1e-5).
 */
public record HfConfig(int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
                       int numKeyValueHeads, int vocabSize, int maxPositionEmbeddings, double rmsNormEps,
                       double ropeTheta, boolean tieWordEmbeddings) {
    public static final String FILE_NAME = "config.json";
    static final String MODEL_TYPE = "llama";
    static final double DEFAULT_ROPE_THETA = 10000.0;
    static final double DEFAULT_RMS_NORM_EPS = 1e-6;

    /** Model configs are a few KB; anything far larger is not one (checked before reading it into memory). */
    static final long MAX_JSON_BYTES = 16L << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The text of a small JSON file, refusing files above {@link #MAX_JSON_BYTES} before reading them. */
    static String readJsonText(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_JSON_BYTES) {
            throw new IOException(file + ": " + size + " bytes is too large for a JSON config (limit " + MAX_JSON_BYTES + ")");
        }
        return Files.readString(file);
    }

    public static HfConfig of(LlamaConfig c, boolean tieWordEmbeddings) {
        return new HfConfig(c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.vocabSize(),
                c.contextLength(), c.rmsNormEps(), c.ropeTheta(), tieWordEmbeddings);
    }

    public static HfConfig read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(readJsonText(file));
        } catch (JacksonException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new IOException(file + ": expected a JSON object");
        JsonNode type = root.get("model_type");
        if (type == null || !MODEL_TYPE.equals(type.asText())) {
            throw new IOException(file + ": model_type must be \"" + MODEL_TYPE + "\", found " + type);
        }
        JsonNode scaling = root.get("rope_scaling");
        if (scaling != null && !scaling.isNull()) {
            throw new IOException(file + ": rope_scaling " + scaling + " is not supported (Llama 2 uses none)");
        }
        int heads = intField(root, "num_attention_heads", file, null);
        int hidden = intField(root, "hidden_size", file, null);
        JsonNode headDim = root.get("head_dim");
        if (headDim != null && !headDim.isNull() && headDim.asInt() * heads != hidden) {
            throw new IOException(file + ": head_dim " + headDim + " differs from hidden_size / num_attention_heads = "
                    + hidden + " / " + heads);
        }
        return new HfConfig(hidden,
                intField(root, "intermediate_size", file, null),
                intField(root, "num_hidden_layers", file, null),
                heads,
                intField(root, "num_key_value_heads", file, heads),
                intField(root, "vocab_size", file, null),
                intField(root, "max_position_embeddings", file, null),
                doubleField(root, "rms_norm_eps", file, DEFAULT_RMS_NORM_EPS),
                doubleField(root, "rope_theta", file, DEFAULT_ROPE_THETA),
                root.path("tie_word_embeddings").asBoolean(false));
    }

    private static int intField(JsonNode root, String name, Path file, Integer fallback) throws IOException {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) {
            if (fallback != null) return fallback;
            throw new IOException(file + ": missing integer field " + name);
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IOException(file + ": " + name + " must be an integer, found " + v);
        }
        return v.intValue();
    }

    private static double doubleField(JsonNode root, String name, Path file, double fallback) throws IOException {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) return fallback;
        if (!v.isNumber()) throw new IOException(file + ": " + name + " must be a number, found " + v);
        return v.doubleValue();
    }

    /** The model shape; IllegalArgumentException (naming {@code source}) when the values are inconsistent. */
    public LlamaConfig toLlamaConfig(Path source) {
        try {
            return new LlamaConfig(hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads,
                    vocabSize, maxPositionEmbeddings, (float) rmsNormEps, (float) ropeTheta);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /** config.json as Transformers writes it for a Llama model. */
    public ObjectNode toJson(String torchDtype) {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add("LlamaForCausalLM");
        o.put("model_type", MODEL_TYPE);
        o.put("hidden_size", hiddenSize);
        o.put("intermediate_size", intermediateSize);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("num_attention_heads", numAttentionHeads);
        o.put("num_key_value_heads", numKeyValueHeads);
        o.put("vocab_size", vocabSize);
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("rms_norm_eps", rmsNormEps);
        o.put("rope_theta", ropeTheta);
        o.putNull("rope_scaling");
        o.put("hidden_act", "silu");
        o.put("tie_word_embeddings", tieWordEmbeddings);
        o.put("bos_token_id", 1);
        o.put("eos_token_id", 2);
        o.put("torch_dtype", torchDtype);
        return o;
    }
}
