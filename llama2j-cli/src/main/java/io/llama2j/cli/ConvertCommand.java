package io.llama2j.cli;

import io.llama2j.convert.ModelConverter;
import io.llama2j.convert.ModelReaders;
import io.llama2j.convert.SourceModel;
import io.llama2j.loading.ModelFormat;
import io.llama2j.tensor.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code llama2j convert}: a model from one layout to another (GGUF, HF safetensors, llama2.c, Meta). */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a model between GGUF, Hugging Face safetensors, llama2.c and Meta layouts,",
                "optionally quantizing (GGUF: Q8_0, Q4_0).",
                "Example: llama2j convert -m Llama-2-7b-hf/ -o llama-2-7b.Q8_0.gguf --type Q8_0"})
public final class ConvertCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true,
            description = "Input: a .gguf or llama2.c .bin file, a Hugging Face folder or a Meta folder.")
    Path input;

    @Option(names = {"-o", "--output"}, required = true,
            description = "Output file (.gguf, .bin) or folder (safetensors, meta).")
    Path output;

    @Option(names = "--format", description = "gguf, safetensors, llama2c or meta (default: from -o's extension).")
    String format;

    @Option(names = "--type", description = "Weight type: F32, F16, BF16, Q8_0, Q4_0 (default: the input's when the output can hold it, else F32).")
    String type;

    @Option(names = {"-z", "--tokenizer"}, description = "Tokenizer file to use instead of the one found with the model.")
    Path tokenizer;

    @Option(names = "--shards", defaultValue = "1", description = "Meta output: number of consolidated.NN.pth files (default: ${DEFAULT-VALUE}).")
    int shards;

    @Override public Integer call() throws Exception {
        ModelFormat target = format != null ? ModelConverter.parseFormat(format)
                : ModelConverter.formatFromExtension(output.getFileName().toString());
        if (target == null) {
            throw new IllegalArgumentException("cannot tell the output format from '" + output.getFileName()
                    + "': use --format gguf|safetensors|llama2c|meta (folders have no extension)");
        }
        GgmlType storage = null;
        if (type != null) {
            try {
                storage = GgmlType.valueOf(type.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown --type '" + type + "': expected F32, F16, BF16, Q8_0 or Q4_0");
            }
        }
        long start = System.nanoTime();
        try (SourceModel source = ModelReaders.open(input, tokenizer)) {
            List<String> notes = ModelConverter.convert(source, output, new ModelConverter.Options(target, storage, shards));
            var out = spec.commandLine().getOut();
            out.printf("converted %s (%s, %d layers, dim %d) to %s: %s in %.1f s%n", input, source.format(),
                    source.config().nLayers(), source.config().dim(), target, output, (System.nanoTime() - start) / 1e9);
            for (String note : notes) out.println("note: " + note);
        }
        return 0;
    }
}
