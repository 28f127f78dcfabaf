package io.llama2j.cli;

import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.lora.PeftAdapterFiles;
import io.llama2j.model.Llama;
import io.llama2j.sampling.Sampler;
import io.llama2j.sampling.SamplerConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.gatt.GattInstruction;
import io.llama2j.train.gatt.GhostAttention;
import io.llama2j.train.sft.Conversations;
import picocli.CommandLine.ArgGroup;
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
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * {@code llama2j gatt}: Ghost Attention SFT data (paper §3.3): answers sampled with the
 * instruction concatenated to every user turn, written with the instruction only as the first
 * turn's system message and the loss on the last answer only.
 */
@Command(name = "gatt", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Build Ghost Attention training data (Llama 2 paper section 3.3) for llama2j sft.",
                "Example: llama2j gatt -m chat.gguf --instruction \"Always answer as Napoleon.\" --dialogs d.jsonl -o gatt.jsonl"})
public final class GattCommand implements Callable<Integer> {
    /** Seed of the per-dialog instruction draw when --seed is not given. */
    static final long DEFAULT_DRAW_SEED = 1337;

    static final class InstructionChoice {
        @Option(names = "--instruction", description = "The instruction for every dialog.")
        String text;

        @Option(names = "--instructions", paramLabel = "FILE",
                description = "Instructions, one per line (TEXT or TEXT<TAB>SHORTER REWRITE); one is drawn per dialog.")
        Path file;
    }

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    InstructionChoice instruction;

    @Option(names = "--dialogs", required = true, paramLabel = "FILE", description = "Dialogs (JSONL messages); their user turns are used.")
    Path dialogs;

    @Option(names = {"-o", "--output"}, required = true, description = "Output JSONL for llama2j sft.")
    Path output;

    @Option(names = {"-m", "--model"}, required = true, description = "The current (chat) model that samples the answers.")
    Path model;

    @Option(names = {"-z", "--tokenizer"}, description = "Tokenizer file (default: from the model).")
    Path tokenizer;

    @Option(names = "--lora", description = "PEFT LoRA adapter folder applied to the model.")
    Path lora;

    @Option(names = "--rewrite-share", defaultValue = "" + GattInstruction.PAPER_REWRITE_SHARE,
            description = "Share of dialogs whose system message is the instruction's shorter rewrite, when it has one (default ${DEFAULT-VALUE}, the paper's).")
    double rewriteShare;

    @Option(names = "--max-answer-tokens", defaultValue = "256", description = "Most tokens per sampled answer (default ${DEFAULT-VALUE}).")
    int maxAnswerTokens;


    @Mixin
    SamplingOptions sampling;

    @Override
    public Integer call() throws Exception {
        List<GattInstruction> instructions = instruction.text != null ? List.of(new GattInstruction(instruction.text, null))
                : Files.readAllLines(instruction.file).stream().filter(s -> !s.isBlank()).map(GattInstruction::parse).toList();
        if (instructions.isEmpty()) throw new IllegalArgumentException(instruction.file + ": no instructions");
        List<Conversations.Conversation> input = Conversations.read(dialogs);
        SamplerConfig samplerConfig = sampling.toConfig(spec.commandLine(), SamplerConfig.META_CHAT_TEMPERATURE, SamplerConfig.META_CHAT_TOP_P);
        Random draw = new Random(sampling.seed != null ? sampling.seed : DEFAULT_DRAW_SEED);
        int written = 0, skipped = 0;
        try (LoadedModel m = ModelLoader.load(model, tokenizer);
             Writer out = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
            Llama llama = new Llama(m.config(), m.weights(), Parallel.shared(), lora == null ? null : PeftAdapterFiles.read(lora, m.config()));
            SessionChatModel chat = new SessionChatModel(m, llama, new Sampler(samplerConfig, m.config().vocabSize()), maxAnswerTokens);
            for (Conversations.Conversation dialog : input) {
                GattInstruction inst = instructions.get(draw.nextInt(instructions.size()));
                try {
                    Conversations.write(out, GhostAttention.sample(GhostAttention.userTurns(dialog), inst.text(),
                            inst.systemMessage(draw, rewriteShare), chat));
                    written++;
                } catch (IllegalStateException contextFull) {
                    skipped++;
                }
            }
        }
        spec.commandLine().getErr().printf("gatt: wrote %d dialogs to %s%s%n", written, output,
                skipped == 0 ? "" : " (" + skipped + " skipped: longer than the model's context)");
        return 0;
    }
}
