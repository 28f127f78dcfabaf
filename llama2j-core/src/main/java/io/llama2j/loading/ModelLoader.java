package io.llama2j.loading;

import io.llama2j.gguf.GgufModel;
import io.llama2j.gguf.GgufModelLoader;
import io.llama2j.hf.HfModel;
import io.llama2j.hub.ModelResolver;
import io.llama2j.llama2c.Llama2cCheckpoint;
import io.llama2j.meta.MetaCheckpoint;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The one entry point that opens a model whatever its format: {@link #detect} looks at the
 * content (never the file name), {@link #load} dispatches in one switch. A new format is a new
 * {@link ModelFormat} constant and a new case here. The tokenizer is loaded with the model and
 * checked against its vocabulary size. A model may also be named "OWNER/REPO[/FILE]" after
 * {@code llama2j pull}; {@link ModelResolver} finds it in the cache.
 */
public final class ModelLoader {
    private ModelLoader() {}

    /** Bytes read to recognize a file format. */
    private static final int SNIFF_BYTES = 28;
    /** "GGUF" as the first four bytes of a GGUF file. */
    private static final byte[] GGUF_MAGIC = {'G', 'G', 'U', 'F'};
    /** The name llama2.c's run.c uses for the tokenizer next to a checkpoint. */
    public static final String LLAMA2C_TOKENIZER_NAME = "tokenizer.bin";

    /**
     * Loads {@code model} (close the result when done). {@code tokenizerOrNull} overrides where the tokenizer is read from;
     * without it a llama2.c checkpoint uses tokenizer.bin in the same folder, a GGUF file its own
     * vocabulary, a folder its tokenizer.model.
     */
    public static LoadedModel load(Path model, Path tokenizerOrNull) throws IOException {
        return load(model, tokenizerOrNull, true);
    }

    /** Loads configuration and weights only (tokenizerFile is null): for inspection and conversion. */
    public static LoadedModel loadWeightsOnly(Path model) throws IOException {
        return load(model, null, false);
    }

    private static LoadedModel load(Path modelOrReference, Path tokenizerOrNull, boolean withTokenizer) throws IOException {
        // "OWNER/REPO[/FILE]" names a model pulled from the Hugging Face hub into the cache.
        Path model = ModelResolver.resolve(modelOrReference);
        ModelFormat format = detect(model);
        return switch (format) {
            case LLAMA2C -> {
                Llama2cCheckpoint ckpt = Llama2cCheckpoint.load(model);
                Tokenizer tokenizer = !withTokenizer ? null
                        : tokenizerFor(ckpt.config(), tokenizerOrNull != null ? requireFile(tokenizerOrNull, "tokenizer")
                        : llama2cTokenizerNextTo(model));
                yield new LoadedModel(model, format, ckpt.config(), ckpt.weights(), tokenizer, null);
            }
            case GGUF -> {
                GgufModel gguf = GgufModelLoader.load(model);
                try {
                    Tokenizer tokenizer = !withTokenizer ? null
                            : tokenizerOrNull != null ? tokenizerFor(gguf.config(), requireFile(tokenizerOrNull, "tokenizer"))
                            : checked(gguf.config(), Tokenizer.fromGguf(gguf.file()), model);
                    yield new LoadedModel(model, format, gguf.config(), gguf.weights(), tokenizer, gguf);
                } catch (IOException | RuntimeException e) {
                    gguf.close();
                    throw e;
                }
            }
            case HF_FOLDER -> {
                HfModel hf = HfModel.open(model);
                yield folderModel(model, format, hf.config(), hf.weights(), hf.tokenizer(), tokenizerOrNull, withTokenizer, hf);
            }
            case META_FOLDER -> {
                MetaCheckpoint meta = MetaCheckpoint.open(model);
                yield folderModel(model, format, meta.config(), meta.weights(), meta.tokenizer(), tokenizerOrNull, withTokenizer, meta);
            }
        };
    }

    private static LoadedModel folderModel(Path model, ModelFormat format, LlamaConfig config, LlamaWeights weights,
                                           Path foundTokenizer, Path tokenizerOrNull, boolean withTokenizer,
                                           AutoCloseable resources) throws IOException {
        try {
            Tokenizer tokenizer = null;
            if (withTokenizer) {
                Path file = tokenizerOrNull != null ? tokenizerOrNull : foundTokenizer;
                if (file == null) {
                    throw new IOException(model + ": the folder has no tokenizer.model or tokenizer.json; pass one with -z");
                }
                tokenizer = tokenizerFor(config, requireFile(file, "tokenizer"));
            }
            return new LoadedModel(model, format, config, weights, tokenizer, resources);
        } catch (IOException | RuntimeException e) {
            try {
                resources.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** The format of {@code model}, from its content; a clear error when it is none of them. */
    public static ModelFormat detect(Path model) throws IOException {
        if (Files.isDirectory(model)) {
            if (HfModel.isModelFolder(model)) return ModelFormat.HF_FOLDER;
            if (MetaCheckpoint.isCheckpointFolder(model)) return ModelFormat.META_FOLDER;
            throw new IOException(model + ": a folder without config.json and model.safetensors (Hugging Face) or params.json"
                    + " and consolidated.00.pth (Meta) is not a model");
        }
        requireFile(model, "model");
        byte[] head = new byte[SNIFF_BYTES];
        int n;
        try (InputStream in = Files.newInputStream(model)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (n >= GGUF_MAGIC.length && java.util.Arrays.equals(head, 0, GGUF_MAGIC.length, GGUF_MAGIC, 0, GGUF_MAGIC.length)) {
            return ModelFormat.GGUF;
        }
        if (Llama2cCheckpoint.looksLike(MemorySegment.ofArray(java.util.Arrays.copyOf(head, n)))) return ModelFormat.LLAMA2C;
        throw new IOException(model + ": not a model file llama2j knows (expected GGUF, a llama2.c checkpoint, or a"
                + " Hugging Face / Meta folder); it starts with " + hex(head, Math.min(n, 8)));
    }

    /** Loads the tokenizer and checks that its vocabulary fits the model's embedding. */
    private static Tokenizer tokenizerFor(LlamaConfig config, Path file) throws IOException {
        return checked(config, Tokenizer.load(file), file);
    }

    private static Tokenizer checked(LlamaConfig config, Tokenizer t, Path file) throws IOException {
        if (t.vocabSize() != config.vocabSize()) {
            throw new IOException(file + ": the tokenizer has " + t.vocabSize() + " tokens but the model's vocabulary has "
                    + config.vocabSize() + " (wrong tokenizer for this model?)");
        }
        return t;
    }

    private static Path llama2cTokenizerNextTo(Path model) throws IOException {
        Path parent = model.toAbsolutePath().getParent();
        Path candidate = parent.resolve(LLAMA2C_TOKENIZER_NAME);
        if (!Files.isRegularFile(candidate)) {
            throw new IOException(model + ": a llama2.c checkpoint does not contain its tokenizer; pass one with -z"
                    + " (e.g. tokenizer.bin or tok512.bin) or put " + LLAMA2C_TOKENIZER_NAME + " in " + parent);
        }
        return candidate;
    }

    private static Path requireFile(Path p, String what) throws IOException {
        if (!Files.exists(p)) throw new NoSuchFileException(p.toString(), null, what + " file not found");
        if (!Files.isRegularFile(p)) throw new IOException(p + ": " + what + " is not a regular file");
        return p;
    }

    private static String hex(byte[] b, int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) s.append(String.format("%02x ", b[i]));
        return s.toString().trim();
    }
}
