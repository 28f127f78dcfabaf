package io.llama2j.convert;

import java.io.IOException;
import java.nio.file.Path;

/** Opens a GGUF model for conversion. */
final class GgufSource {
    private GgufSource() {}

    static SourceModel open(Path path, Path tokenizer) throws IOException {
        throw new IOException(path + ": reading GGUF models needs io.llama2j.gguf.GgufModelLoader (not merged yet)");
    }
}
