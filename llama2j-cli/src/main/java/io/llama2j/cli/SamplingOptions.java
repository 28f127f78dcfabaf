package io.llama2j.cli;

import io.llama2j.sampling.SamplerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Sampling options shared by generate and chat (a picocli mixin); defaults are set per command. */
final class SamplingOptions {

    @Option(names = "--temperature", description = "Sampling temperature; 0 = greedy (default: generate 1.0, chat 0.6).")
    float temperature = Float.NaN;

    @Option(names = "--top-p", description = "Nucleus sampling (Meta's sample_top_p); 1 = off (default: 0.9).")
    float topP = Float.NaN;

    @Option(names = "--top-k", defaultValue = "0", description = "Keep only the k most likely tokens; 0 = off (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--min-p", defaultValue = "0", description = "Drop tokens below min-p x the top probability; 0 = off (default: ${DEFAULT-VALUE}).")
    float minP;

    @Option(names = "--repeat-penalty", defaultValue = "1", description = "Repetition penalty (CTRL) on recent tokens; 1 = off (default: ${DEFAULT-VALUE}).")
    float repeatPenalty;

    @Option(names = "--frequency-penalty", defaultValue = "0", description = "Subtracted per occurrence in recent tokens (default: ${DEFAULT-VALUE}).")
    float frequencyPenalty;

    @Option(names = "--presence-penalty", defaultValue = "0", description = "Subtracted once for tokens in recent tokens (default: ${DEFAULT-VALUE}).")
    float presencePenalty;

    @Option(names = "--repeat-last-n", defaultValue = "" + SamplerConfig.DEFAULT_PENALTY_LAST_N,
            description = "How many recent tokens the penalties look at (default: ${DEFAULT-VALUE}).")
    int penaltyLastN;

    @Option(names = "--seed", description = "Random seed for reproducible sampling (default: from the clock, printed to stderr).")
    Long seed;

    /** The sampler configuration, with the command's defaults for temperature and top-p. */
    SamplerConfig toConfig(CommandLine commandLine, float defaultTemperature, float defaultTopP) {
        try {
            return new SamplerConfig(Float.isNaN(temperature) ? defaultTemperature : temperature, topK,
                Float.isNaN(topP) ? defaultTopP : topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyLastN,
                seed != null ? seed : System.nanoTime());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(commandLine, e.getMessage());
        }
    }
}
