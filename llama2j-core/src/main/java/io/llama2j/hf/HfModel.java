package io.llama2j.hf;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.safetensors.SafetensorsFile;
import io.llama2j.safetensors.SafetensorsTensorInfo;
import io.llama2j.tensor.FloatTensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.llama2j.hf.HfTensorNames.*;

/**
 * A Hugging Face Llama model folder: config.json, model.safetensors or shards listed in
 * model.safetensors.index.json ("weight_map"), and tokenizer.model or tokenizer.json. Weights are
 * views of the mapped shards, with q_proj and k_proj seen in Meta's interleaved-RoPE row order
 * (see {@link HfRopePermutation}). Close to unmap.
 */
public final class HfModel implements AutoCloseable {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    /** Tokenizer files in order of preference: SentencePiece model first, then the fast-tokenizer JSON. */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.model", "tokenizer.json");

    /** Weight-map key meaning "every tensor is in this one file" (unsharded folders). */
    private static final String EVERY_TENSOR = "*";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final HfConfig hfConfig;
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final Path tokenizer;
    private final List<SafetensorsFile> files;

    private HfModel(Path dir, HfConfig hfConfig, LlamaConfig config, LlamaWeights weights, Path tokenizer,
                    List<SafetensorsFile> files) {
        this.dir = dir;
        this.hfConfig = hfConfig;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.files = files;
    }

    /** True when {@code dir} looks like an HF model folder (a config.json and safetensors weights). */
    public static boolean isModelFolder(Path dir) {
        return Files.isRegularFile(dir.resolve(HfConfig.FILE_NAME))
                && (Files.isRegularFile(dir.resolve(SINGLE_FILE)) || Files.isRegularFile(dir.resolve(INDEX_FILE)));
    }

    /** Opens the folder; {@link #close()} unmaps its files. */
    public static HfModel open(Path dir) throws IOException {
        return open(dir, false);
    }

    /** Opens the folder; with {@code unmapWhenUnreachable} the GC unmaps the files once no weight refers to them. */
    public static HfModel open(Path dir, boolean unmapWhenUnreachable) throws IOException {
        Path configFile = dir.resolve(HfConfig.FILE_NAME);
        if (!Files.isRegularFile(configFile)) {
            throw new IOException(dir + ": not a Hugging Face model folder: no " + HfConfig.FILE_NAME);
        }
        HfConfig hf = HfConfig.read(configFile);
        LlamaConfig config = hf.toLlamaConfig(configFile);
        Map<String, Path> weightMap = weightMap(dir);
        Map<Path, SafetensorsFile> opened = new LinkedHashMap<>();
        try {
            for (Path p : weightMap.values()) {
                if (!opened.containsKey(p)) opened.put(p, SafetensorsFile.open(p, unmapWhenUnreachable));
            }
            LlamaWeights weights = new WeightReader(weightMap, opened, config, hf.tieWordEmbeddings()).read();
            weights.validate(config, dir.toString());
            Path tokenizer = TOKENIZER_FILES.stream().map(dir::resolve).filter(Files::isRegularFile).findFirst().orElse(null);
            return new HfModel(dir, hf, config, weights, tokenizer, List.copyOf(opened.values()));
        } catch (IOException | RuntimeException e) {
            opened.values().forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /** Tensor name → file holding it: from the index when sharded, else every tensor of model.safetensors. */
    private static Map<String, Path> weightMap(Path dir) throws IOException {
        Path index = dir.resolve(INDEX_FILE);
        Map<String, Path> map = new LinkedHashMap<>();
        if (!Files.isRegularFile(index)) {
            Path single = dir.resolve(SINGLE_FILE);
            if (!Files.isRegularFile(single)) {
                throw new IOException(dir + ": no " + SINGLE_FILE + " and no " + INDEX_FILE);
            }
            map.put(EVERY_TENSOR, single);
            return map;
        }
        JsonNode root;
        try {
            root = JSON.readTree(HfConfig.readJsonText(index));
        } catch (JacksonException e) {
            throw new IOException(index + ": not valid JSON: " + e.getOriginalMessage());
        }
        JsonNode wm = root == null ? null : root.get("weight_map");
        if (wm == null || !wm.isObject()) throw new IOException(index + ": missing object weight_map");
        Path base = dir.toAbsolutePath().normalize();
        for (Map.Entry<String, JsonNode> e : wm.properties()) {
            if (!e.getValue().isTextual()) {
                throw new IOException(index + ": weight_map." + e.getKey() + " must be a file name, found " + e.getValue());
            }
            Path shard = base.resolve(e.getValue().textValue()).normalize();
            if (!shard.getParent().equals(base)) {
                throw new IOException(index + ": weight_map." + e.getKey() + " names '" + e.getValue().textValue()
                        + "', which is not a file of the model folder");
            }
            if (!Files.isRegularFile(shard)) {
                throw new IOException(index + ": weight_map." + e.getKey() + " names missing shard " + shard.getFileName());
            }
            map.put(e.getKey(), shard);
        }
        return map;
    }

    /** Looks tensors up by HF name, checks their shapes and builds LlamaWeights. */
    private record WeightReader(Map<String, Path> weightMap, Map<Path, SafetensorsFile> files, LlamaConfig c,
                                boolean tied) {
        SafetensorsFile fileOf(String name) {
            Path p = weightMap.containsKey(EVERY_TENSOR) ? weightMap.get(EVERY_TENSOR) : weightMap.get(name);
            SafetensorsFile f = p == null ? null : files.get(p);
            if (f == null || !f.contains(name)) {
                throw new IllegalArgumentException((p == null ? "model folder" : p.toString())
                        + ": missing tensor " + name);
            }
            return f;
        }

        FloatTensor get(String name, long... shape) {
            SafetensorsFile f = fileOf(name);
            SafetensorsTensorInfo info = f.info(name);
            if (!Arrays.equals(info.shape(), shape)) {
                throw new IllegalArgumentException(f.path() + ": tensor " + name + " has shape "
                        + Arrays.toString(info.shape()) + ", expected " + Arrays.toString(shape));
            }
            return f.tensor(name);
        }

        LlamaWeights read() {
            int n = c.nLayers(), dim = c.dim(), kv = c.kvDim(), hidden = c.hiddenDim(), vocab = c.vocabSize();
            FloatTensor[] an = new FloatTensor[n], wq = new FloatTensor[n], wk = new FloatTensor[n],
                    wv = new FloatTensor[n], wo = new FloatTensor[n], fn = new FloatTensor[n],
                    w1 = new FloatTensor[n], w2 = new FloatTensor[n], w3 = new FloatTensor[n];
            for (int l = 0; l < n; l++) {
                an[l] = get(layer(l, ATTENTION_NORM), dim);
                wq[l] = HfRopePermutation.toMeta(get(layer(l, WQ), dim, dim), c.nHeads(), dim, dim);
                wk[l] = HfRopePermutation.toMeta(get(layer(l, WK), kv, dim), c.nKvHeads(), kv, dim);
                wv[l] = get(layer(l, WV), kv, dim);
                wo[l] = get(layer(l, WO), dim, dim);
                fn[l] = get(layer(l, FFN_NORM), dim);
                w1[l] = get(layer(l, W1_GATE), hidden, dim);
                w2[l] = get(layer(l, W2_DOWN), dim, hidden);
                w3[l] = get(layer(l, W3_UP), hidden, dim);
            }
            FloatTensor embedding = get(EMBEDDING, vocab, dim);
            FloatTensor output = tied ? embedding : get(OUTPUT, vocab, dim);
            return new LlamaWeights(embedding, an, wq, wk, wv, wo, fn, w1, w2, w3, get(OUTPUT_NORM, dim), output);
        }
    }

    public Path dir() { return dir; }

    public HfConfig hfConfig() { return hfConfig; }

    public LlamaConfig config() { return config; }

    /** Weights in Meta's layout; valid until {@link #close()}. */
    public LlamaWeights weights() { return weights; }

    /** tokenizer.model or tokenizer.json of the folder, or null when it has neither. */
    public Path tokenizer() { return tokenizer; }

    @Override public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
