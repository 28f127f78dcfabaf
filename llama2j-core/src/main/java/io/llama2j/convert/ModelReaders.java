package io.llama2j.convert;

import io.llama2j.hub.ModelResolver;
import io.llama2j.hf.HfModel;
import io.llama2j.llama2c.Llama2cCheckpoint;
import io.llama2j.meta.MetaCheckpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Opens a model in any layout {@code convert} reads, recognised by its content. */
public final class ModelReaders {
    private ModelReaders() {}

    static final byte[] GGUF_MAGIC = {'G', 'G', 'U', 'F'};

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
        if (Files.isDirectory(path)) {
            if (HfModel.isModelFolder(path)) {
                HfModel m = HfModel.open(path);
                return new SourceModel(ModelFormat.SAFETENSORS, path, m.config(), m.weights(), pick(tokenizer, m.tokenizer()), m);
            }
            if (MetaCheckpoint.isCheckpointFolder(path)) {
                MetaCheckpoint m = MetaCheckpoint.open(path);
                return new SourceModel(ModelFormat.META, path, m.config(), m.weights(), pick(tokenizer, m.tokenizer()), m);
            }
            throw new IOException(path + ": not a model folder: expected config.json with model.safetensors "
                    + "(Hugging Face) or params.json with consolidated.00.pth (Meta)");
        }
        byte[] head = new byte[GGUF_MAGIC.length];
        try (InputStream in = Files.newInputStream(path)) {
            in.readNBytes(head, 0, head.length);
        }
        if (Arrays.equals(head, GGUF_MAGIC)) {
            return GgufSource.open(path, tokenizer);
        }
        Llama2cCheckpoint c = Llama2cCheckpoint.load(path);
        return new SourceModel(ModelFormat.LLAMA2C, path, c.config(), c.weights(), tokenizer, null);
    }

    private static Path pick(Path override, Path found) {
        return override != null ? override : found;
    }
}
