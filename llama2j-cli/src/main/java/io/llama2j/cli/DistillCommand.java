package io.llama2j.cli;

import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.lora.PeftAdapterFiles;
import io.llama2j.model.Llama;
import io.llama2j.sampling.Sampler;
import io.llama2j.sampling.SamplerConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.distill.ContextDistillation;
import io.llama2j.train.sft.Conversations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code llama2j distill}: context distillation data (paper §4.2.4): answers under a safety pre-prompt, written without it. */
@Command(name = "distill", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Build context-distillation SFT data: answer each prompt with a safety pre-prompt (and optional",
                "answer template), write prompt and answer without them (Llama 2 paper section 4.2.4)."})
public final class DistillCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--preprompt", required = true, description = "Safety pre-prompt (the system message while sampling).")
    String preprompt;

    @Option(names = "--template", description = "Answer template appended to each prompt while sampling.")
    String template;

    @Option(names = "--prompts", required = true, paramLabel = "FILE", description = "Prompts, one per line.")
    Path prompts;

    @Option(names = {"-o", "--output"}, required = true, description = "Output JSONL for llama2j sft.")
    Path output;

    @Option(names = {"-m", "--model"}, required = true, description = "The model that answers.")
    Path model;

    @Option(names = {"-z", "--tokenizer"}, description = "Tokenizer file (default: from the model).")
    Path tokenizer;

    @Option(names = "--lora", description = "PEFT LoRA adapter folder applied to the model.")
    Path lora;

    @Option(names = "--max-answer-tokens", defaultValue = "256", description = "Most tokens per answer (default ${DEFAULT-VALUE}).")
    int maxAnswerTokens;


    @Mixin
    SamplingOptions sampling;

    @Override
    public Integer call() throws Exception {
        List<String> lines = Files.readAllLines(prompts).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (lines.isEmpty()) throw new IllegalArgumentException(prompts + ": no prompts");
        SamplerConfig samplerConfig = sampling.toConfig(spec.commandLine(), SamplerConfig.META_CHAT_TEMPERATURE, SamplerConfig.META_CHAT_TOP_P);
        int written = 0, skipped = 0;
        try (LoadedModel m = ModelLoader.load(model, tokenizer);
             Writer out = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
            Llama llama = new Llama(m.config(), m.weights(), Parallel.shared(), lora == null ? null : PeftAdapterFiles.read(lora, m.config()));
            SessionChatModel chat = new SessionChatModel(m, llama, new Sampler(samplerConfig, m.config().vocabSize()), maxAnswerTokens);
            for (String prompt : lines) {
                try {
                    Conversations.write(out, ContextDistillation.sample(prompt, preprompt, template, chat));
                    written++;
                } catch (IllegalStateException contextFull) {
                    skipped++;
                }
            }
        }
        spec.commandLine().getErr().printf("distill: wrote %d examples to %s%s%n", written, output,
                skipped == 0 ? "" : " (" + skipped + " skipped: longer than the model's context)");
        return 0;
    }
}
