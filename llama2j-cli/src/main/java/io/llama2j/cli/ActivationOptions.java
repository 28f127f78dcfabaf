package io.llama2j.cli;

import io.llama2j.tensor.ActivationPrecision;
import picocli.CommandLine.Option;

/** The {@code --activations} option of the commands that run a model (bench, generate, chat, serve). */
final class ActivationOptions {

    @Option(names = "--activations", defaultValue = "QUANTIZED_8BIT",
            description = "Activations of Q4_0/Q8_0 products: QUANTIZED_8BIT (8-bit, as llama.cpp; the fast kernels) or FLOAT32 (exact) (default: ${DEFAULT-VALUE}).")
    ActivationPrecision precision;
}
