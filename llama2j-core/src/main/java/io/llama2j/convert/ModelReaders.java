package io.llama2j.convert;

import io.llama2j.hub.ModelResolver;
import io.llama2j.hf.HfModel;
import io.llama2j.llama2c.Llama2cCheckpoint;
import io.llama2j.loading.ModelFormat;
import io.llama2j.loading.ModelLoader;
import io.llama2j.meta.MetaCheckpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens a model in any layout {@code convert} reads, recognised by its content. */
public final class ModelReaders {
    private ModelReaders() {}

    /**
     * @param path      a .gguf or llama2.c file, a Hugging Face folder (or its model.safetensors), or a Meta folder
     * @param tokenizer a tokenizer file that overrides the one found with the model, or null
     */
    public static SourceModel open(Path pathOrReference, Path tokenizer) throws IOException {
        Path path = ModelResolver.resolve(pathOrReference); // "OWNER/REPO[/FILE]" after llama2j pull
        if (!Files.exists(path)) throw new IOException(path + ": no such file or folder");
        if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".safetensors")
                && path.toAbsolutePath().getParent() != null && HfModel.isModelFolder(path.toAbsolutePath().getParent())) {
            path = path.toAbsolutePath().getParent();
        }
        ModelFormat format = ModelLoader.detect(path);
        return switch (format) {
            case HF_FOLDER -> {
                HfModel m = HfModel.open(path);
                yield new SourceModel(format, path, m.config(), m.weights(), pick(tokenizer, m.tokenizer()), m);
            }
            case META_FOLDER -> {
                MetaCheckpoint m = MetaCheckpoint.open(path);
                yield new SourceModel(format, path, m.config(), m.weights(), pick(tokenizer, m.tokenizer()), m);
            }
            case GGUF -> GgufSource.open(path, tokenizer);
            case LLAMA2C -> {
                Llama2cCheckpoint c = Llama2cCheckpoint.load(path);
                Path nextTo = path.toAbsolutePath().resolveSibling(ModelLoader.LLAMA2C_TOKENIZER_NAME);
                yield new SourceModel(format, path, c.config(), c.weights(),
                        pick(tokenizer, Files.isRegularFile(nextTo) ? nextTo : null), null);
            }
        };
    }

    private static Path pick(Path override, Path found) {
        return override != null ? override : found;
    }
}
