package io.llama2j.meta;

import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.tensor.ConcatenatedTensor;
import io.llama2j.tensor.FloatTensor;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.llama2j.meta.MetaTensorNames.*;

/**
 * A checkpoint in Meta's original layout: a folder with params.json and consolidated.00.pth ..
 * consolidated.NN.pth (one per model-parallel rank), with tokenizer.model in the folder or its
 * parent (as Meta's download script lays it out). The shards are merged into one set of weights
 * with concatenating views (see {@link MetaTensorNames} for the split of each tensor); nothing
 * is copied. Close to unmap.
 */
public final class MetaCheckpoint implements AutoCloseable {
    static final Pattern SHARD_NAME = Pattern.compile("consolidated\\.(\\d+)\\.pth");
    public static final String TOKENIZER_FILE = "tokenizer.model";

    private final Path dir;
    private final MetaParams params;
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final Path tokenizer;
    private final List<TorchCheckpoint> shards;

    private MetaCheckpoint(Path dir, MetaParams params, LlamaConfig config, LlamaWeights weights, Path tokenizer,
                           List<TorchCheckpoint> shards) {
        this.dir = dir;
        this.params = params;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.shards = shards;
    }

    /** True when {@code dir} holds params.json and consolidated.00.pth. */
    public static boolean isCheckpointFolder(Path dir) {
        return Files.isRegularFile(dir.resolve(MetaParams.FILE_NAME)) && Files.isRegularFile(dir.resolve("consolidated.00.pth"));
    }

    /** Opens the checkpoint in {@code dir}; the context length is Llama 2's (params.json has none). */
    public static MetaCheckpoint open(Path dir) throws IOException {
        return open(dir, MetaParams.LLAMA2_CONTEXT_LENGTH);
    }

    public static MetaCheckpoint open(Path dir, int contextLength) throws IOException {
        return open(dir, contextLength, false);
    }

    /** With {@code unmapWhenUnreachable} the GC unmaps the shards once no weight refers to them; close() does nothing. */
    public static MetaCheckpoint open(Path dir, int contextLength, boolean unmapWhenUnreachable) throws IOException {
        Path paramsFile = dir.resolve(MetaParams.FILE_NAME);
        if (!Files.isRegularFile(paramsFile)) throw new IOException(dir + ": not a Meta checkpoint folder: no " + MetaParams.FILE_NAME);
        MetaParams params = MetaParams.read(paramsFile);
        List<Path> files = shardFiles(dir);
        List<TorchCheckpoint> shards = new ArrayList<>();
        try {
            for (Path f : files) shards.add(TorchCheckpoint.open(f, unmapWhenUnreachable));
            int vocab = params.vocabSize();
            if (vocab == MetaParams.VOCAB_FROM_TOKENIZER) {
                vocab = Math.toIntExact(shape(shards.getFirst(), EMBEDDING)[0]);
            }
            LlamaConfig config = params.toLlamaConfig(vocab, contextLength, paramsFile);
            LlamaWeights weights = new Merger(shards, config).read();
            weights.validate(config, dir.toString());
            Path tokenizer = dir.resolve(TOKENIZER_FILE);
            if (!Files.isRegularFile(tokenizer)) {
                Path parent = dir.toAbsolutePath().getParent();
                tokenizer = parent == null ? null : parent.resolve(TOKENIZER_FILE);
                if (tokenizer != null && !Files.isRegularFile(tokenizer)) tokenizer = null;
            }
            return new MetaCheckpoint(dir, params, config, weights, tokenizer, List.copyOf(shards));
        } catch (IOException | RuntimeException e) {
            shards.forEach(TorchCheckpoint::close);
            throw e;
        }
    }

    private static long[] shape(TorchCheckpoint shard, String name) {
        return shard.shape(name);
    }

    /** consolidated.00.pth .. consolidated.NN.pth, numbered without gaps. */
    private static List<Path> shardFiles(Path dir) throws IOException {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "consolidated.*.pth")) {
            ds.forEach(found::add);
        }
        Path[] ordered = new Path[found.size()];
        for (Path p : found) {
            Matcher m = SHARD_NAME.matcher(p.getFileName().toString());
            int index = m.matches() ? Integer.parseInt(m.group(1)) : -1;
            if (index < 0 || index >= ordered.length || ordered[index] != null) {
                throw new IOException(dir + ": shard " + p.getFileName() + " does not fit consolidated.00.pth .. consolidated."
                        + String.format("%02d", ordered.length - 1) + ".pth");
            }
            ordered[index] = p;
        }
        if (ordered.length == 0) throw new IOException(dir + ": no consolidated.NN.pth shards");
        return Arrays.asList(ordered);
    }

    /** Joins each tensor's per-shard pieces as Meta's model parallelism split them. */
    private record Merger(List<TorchCheckpoint> shards, LlamaConfig c) {
        FloatTensor get(String name, long rows, long cols) {
            Split split = splitOf(name);
            List<FloatTensor> parts = new ArrayList<>();
            long totalRows = 0, totalCols = 0;
            for (TorchCheckpoint s : shards) {
                long[] shape = s.shape(name);
                long r = shape.length == 1 ? 1 : shape.length == 2 ? shape[0] : -1;
                long k = shape.length == 0 ? -1 : shape[shape.length - 1];
                if (r < 0 || k < 0) throw new IllegalArgumentException(s.path() + ": tensor " + name + " has shape " + Arrays.toString(shape));
                boolean fits = switch (split) {
                    case ROWS -> k == cols;
                    case COLUMNS -> r == rows;
                    case REPLICATED -> r == rows && k == cols;
                };
                if (!fits) {
                    throw new IllegalArgumentException(s.path() + ": tensor " + name + " has shape " + Arrays.toString(shape)
                            + ", which is not a " + split.name().toLowerCase() + " shard of [" + rows + ", " + cols + "] over "
                            + shards.size() + " files");
                }
                totalRows += r;
                totalCols += k;
                parts.add(s.tensor(name));
            }
            FloatTensor merged = switch (split) {
                case ROWS -> ConcatenatedTensor.ofRows(parts, cols);
                case COLUMNS -> ConcatenatedTensor.ofColumns(parts, rows);
                case REPLICATED -> replicated(name, parts);
            };
            long mergedRows = split == Split.ROWS ? totalRows : rows, mergedCols = split == Split.COLUMNS ? totalCols : cols;
            if (mergedRows != rows || mergedCols != cols) {
                throw new IllegalArgumentException(shards.getFirst().path().getParent() + ": tensor " + name + " merges to ["
                        + mergedRows + ", " + mergedCols + "], expected [" + rows + ", " + cols + "]");
            }
            return merged;
        }

        /** Norm weights are copies on every rank; a shard that disagrees is corrupt. */
        FloatTensor replicated(String name, List<FloatTensor> parts) {
            FloatTensor first = parts.getFirst();
            for (int s = 1; s < parts.size(); s++) {
                for (long i = 0; i < first.size(); i++) {
                    if (Float.compare(first.getFloat(i), parts.get(s).getFloat(i)) != 0) {
                        throw new IllegalArgumentException(shards.get(s).path() + ": replicated tensor " + name
                                + " differs from shard 0 at element " + i);
                    }
                }
            }
            return first;
        }

        LlamaWeights read() {
            int n = c.nLayers(), dim = c.dim(), kv = c.kvDim(), hidden = c.hiddenDim(), vocab = c.vocabSize();
            FloatTensor[] an = new FloatTensor[n], wq = new FloatTensor[n], wk = new FloatTensor[n],
                    wv = new FloatTensor[n], wo = new FloatTensor[n], fn = new FloatTensor[n],
                    w1 = new FloatTensor[n], w2 = new FloatTensor[n], w3 = new FloatTensor[n];
            for (int l = 0; l < n; l++) {
                an[l] = get(layer(l, ATTENTION_NORM), 1, dim);
                wq[l] = get(layer(l, WQ), dim, dim);
                wk[l] = get(layer(l, WK), kv, dim);
                wv[l] = get(layer(l, WV), kv, dim);
                wo[l] = get(layer(l, WO), dim, dim);
                fn[l] = get(layer(l, FFN_NORM), 1, dim);
                w1[l] = get(layer(l, W1), hidden, dim);
                w2[l] = get(layer(l, W2), dim, hidden);
                w3[l] = get(layer(l, W3), hidden, dim);
            }
            return new LlamaWeights(get(EMBEDDING, vocab, dim), an, wq, wk, wv, wo, fn, w1, w2, w3,
                    get(OUTPUT_NORM, 1, dim), get(OUTPUT, vocab, dim));
        }
    }

    public Path dir() { return dir; }

    public MetaParams params() { return params; }

    public LlamaConfig config() { return config; }

    /** Merged weights; valid until {@link #close()}. */
    public LlamaWeights weights() { return weights; }

    /** tokenizer.model of the folder or its parent, or null. */
    public Path tokenizer() { return tokenizer; }

    public int shardCount() { return shards.size(); }

    @Override public void close() {
        shards.forEach(TorchCheckpoint::close);
    }
}
