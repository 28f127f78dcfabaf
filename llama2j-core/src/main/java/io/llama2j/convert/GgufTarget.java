package io.llama2j.convert;

import io.llama2j.tensor.GgmlType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Writes a model as a llama.cpp-compatible GGUF. */
final class GgufTarget {
    private GgufTarget() {}

    static void write(SourceModel source, Path out, GgmlType type, List<String> notes) throws IOException {
        throw new IOException(out + ": writing GGUF needs io.llama2j.gguf.GgufWriter (not merged yet)");
    }
}
