package io.llama2j.gguf;

import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.tensor.FloatTensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * Reads a Llama 2 model from a GGUF file: the configuration from the {@code llama.*} metadata
 * (keys as llama.cpp's convert_hf_to_gguf.py writes them) and the weights from the tensors named
 * in {@link LlamaWeights}' table. GGUF already stores the query and key rows in Meta's
 * interleaved-RoPE order, so no permutation is applied. Every tensor's shape is checked
 * against the configuration before the model is returned.
 */
public final class GgufModelLoader {
    private GgufModelLoader() {}

    public static final String ARCHITECTURE = "llama";
    /**
     * RoPE base when {@code llama.rope.freq_base} is absent: 10000, the value of the RoPE paper
     * and Llama 2 (llama.cpp uses the same default). Code Llama files store 1e6 explicitly.
     */
    public static final float DEFAULT_ROPE_FREQ_BASE = 10000f;

    /** Opens and maps {@code path}; the caller closes the returned model. */
    public static GgufModel load(Path path) throws IOException {
        GgufFile file = GgufFile.open(path);
        try {
            return load(file);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** A model over an already opened file (closing the model closes the file). */
    public static GgufModel load(GgufFile file) {
        LlamaConfig config = config(file);
        LlamaWeights weights = weights(file, config);
        weights.validate(config, file.path().toString());
        return new GgufModel(file, config, weights);
    }

    /** The model configuration stored in the file's metadata. */
    public static LlamaConfig config(GgufFile file) {
        String arch = file.getString("general.architecture");
        if (!ARCHITECTURE.equals(arch)) {
            throw new IllegalArgumentException(file.path() + ": general.architecture: expected " + ARCHITECTURE + ", found " + arch);
        }
        String p = ARCHITECTURE + ".";
        int dim = file.getInt(p + "embedding_length");
        int nHeads = file.getInt(p + "attention.head_count");
        // absent means multi-head attention (llama.cpp defaults head_count_kv to head_count)
        int nKvHeads = file.contains(p + "attention.head_count_kv") ? file.getInt(p + "attention.head_count_kv") : nHeads;
        float ropeTheta = file.contains(p + "rope.freq_base") ? file.getFloat(p + "rope.freq_base") : DEFAULT_ROPE_FREQ_BASE;
        LlamaConfig config = new LlamaConfig(dim, file.getInt(p + "feed_forward_length"), file.getInt(p + "block_count"),
                nHeads, nKvHeads, vocabSize(file), file.getInt(p + "context_length"),
                file.getFloat(p + "attention.layer_norm_rms_epsilon"), ropeTheta);
        String ropeDims = p + "rope.dimension_count";
        if (file.contains(ropeDims) && file.getInt(ropeDims) != config.headSize()) {
            throw new IllegalArgumentException(file.path() + ": " + ropeDims + ": expected the head size " + config.headSize()
                    + " (RoPE on whole heads), found " + file.getInt(ropeDims));
        }
        String scaling = p + "rope.scaling.type";
        if (file.contains(scaling) && !"none".equals(file.getString(scaling))) {
            throw new IllegalArgumentException(file.path() + ": " + scaling + ": expected none (Llama 2), found " + file.getString(scaling));
        }
        return config;
    }

    /** Vocabulary size: the tokenizer's token count, else llama.vocab_size, else token_embd's rows. */
    private static int vocabSize(GgufFile file) {
        if (file.contains("tokenizer.ggml.tokens")) return file.getStringArray("tokenizer.ggml.tokens").length;
        if (file.contains(ARCHITECTURE + ".vocab_size")) return file.getInt(ARCHITECTURE + ".vocab_size");
        long[] shape = file.tensorInfo("token_embd.weight").shape();
        if (shape.length != 2 || shape[1] > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(file.path() + ": tensor token_embd.weight: expected [dim, vocab], found " + Arrays.toString(shape));
        }
        return (int) shape[1];
    }

    private static LlamaWeights weights(GgufFile file, LlamaConfig c) {
        long dim = c.dim(), kv = c.kvDim(), hidden = c.hiddenDim(), vocab = c.vocabSize();
        FloatTensor embedding = tensor(file, "token_embd.weight", dim, vocab);
        // absent output means the classifier shares the embedding matrix (tied weights)
        FloatTensor output = file.hasTensor("output.weight") ? tensor(file, "output.weight", dim, vocab) : embedding;
        return new LlamaWeights(
                embedding,
                layers(c, l -> tensor(file, "blk." + l + ".attn_norm.weight", dim)),
                layers(c, l -> tensor(file, "blk." + l + ".attn_q.weight", dim, dim)),
                layers(c, l -> tensor(file, "blk." + l + ".attn_k.weight", dim, kv)),
                layers(c, l -> tensor(file, "blk." + l + ".attn_v.weight", dim, kv)),
                layers(c, l -> tensor(file, "blk." + l + ".attn_output.weight", dim, dim)),
                layers(c, l -> tensor(file, "blk." + l + ".ffn_norm.weight", dim)),
                layers(c, l -> tensor(file, "blk." + l + ".ffn_gate.weight", dim, hidden)),
                layers(c, l -> tensor(file, "blk." + l + ".ffn_down.weight", hidden, dim)),
                layers(c, l -> tensor(file, "blk." + l + ".ffn_up.weight", dim, hidden)),
                tensor(file, "output_norm.weight", dim),
                output);
    }

    private static FloatTensor[] layers(LlamaConfig c, IntFunction<FloatTensor> perLayer) {
        FloatTensor[] t = new FloatTensor[c.nLayers()];
        for (int l = 0; l < t.length; l++) t[l] = perLayer.apply(l);
        return t;
    }

    /** The tensor {@code name}, after checking its GGUF shape (ne order: columns first). */
    private static FloatTensor tensor(GgufFile file, String name, long... expectedShape) {
        if (!file.hasTensor(name)) {
            throw new IllegalArgumentException(file.path() + ": missing tensor " + name);
        }
        long[] shape = file.tensorInfo(name).shape();
        if (!Arrays.equals(shape, expectedShape)) {
            throw new IllegalArgumentException(file.path() + ": tensor " + name + ": expected shape "
                    + Arrays.toString(expectedShape) + ", found " + Arrays.toString(shape));
        }
        return file.tensor(name);
    }
}
