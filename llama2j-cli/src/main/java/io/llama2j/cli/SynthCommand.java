package io.llama2j.cli;

import io.llama2j.synth.ModelShape;
import io.llama2j.synth.SyntheticModelWriter;
import io.llama2j.tensor.GgmlType;
import io.llama2j.tensor.Parallel;
import io.llama2j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * `llama2j synth`: a GGUF of a named model shape with random weights and a real vocabulary, for
 * speed measurements next to llama.cpp on the same file (see BENCHMARKS.md).
 */
@Command(name = "synth", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a GGUF of a named Llama shape with random Gaussian weights (streamed, tensor by tensor).",
                "The file loads in llama.cpp and in llama2j; use it for speed measurements only."})
public final class SynthCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--shape", required = true, description = "Model shape: ${COMPLETION-CANDIDATES}.",
            completionCandidates = ShapeNames.class)
    String shape;

    @Option(names = "--type", defaultValue = "Q4_0", description = "Type of the weight matrices: F32, F16, BF16, Q8_0 or Q4_0 (default: ${DEFAULT-VALUE}).")
    GgmlType type;

    @Option(names = "--vocab", required = true, description = "Tokenizer file whose vocabulary goes into the GGUF (tokenizer.model, tokenizer.bin, tokenizer.json or a GGUF).")
    Path vocab;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--pure", description = "Every matrix in --type (without it, a Q4_0 file keeps the embedding and output in Q8_0).")
    boolean pure;

    @Option(names = {"-t", "--threads"}, description = "Threads that generate rows (default: all cores).")
    Integer threads;

    @Option(names = {"-o", "--output"}, required = true, description = "GGUF file to write.")
    Path output;

    static final class ShapeNames implements Iterable<String> {
        @Override public java.util.Iterator<String> iterator() { return ModelShape.names().iterator(); }
    }

    @Override
    public Integer call() throws Exception {
        if (threads != null && threads < 1) throw new ParameterException(spec.commandLine(), "--threads must be at least 1, found " + threads);
        ModelShape modelShape;
        try {
            modelShape = ModelShape.named(shape);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--shape: " + e.getMessage());
        }
        SyntheticModelWriter.Settings settings = new SyntheticModelWriter.Settings(modelShape, type, pure, seed,
                SyntheticModelWriter.WeightScales.DEFAULT);
        var vocabulary = Tokenizer.load(vocab).vocabulary();
        long start = System.nanoTime();
        try (Parallel parallel = new Parallel(threads != null ? threads : Runtime.getRuntime().availableProcessors())) {
            SyntheticModelWriter.write(settings, vocabulary, output, parallel);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        spec.commandLine().getErr().printf("wrote %s: %s %s%s, %.2f B parameters, %.2f GiB in %.1f s%n", output, modelShape.name(), type,
                pure ? " (pure)" : "", modelShape.parameterCount() / 1e9, Files.size(output) / (double) (1L << 30), seconds);
        return 0;
    }
}
