package io.llama2j.cli;

import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.lora.PeftAdapterFiles;
import io.llama2j.model.Llama;
import io.llama2j.sampling.Sampler;
import io.llama2j.sampling.SamplerConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.gatt.GhostAttention;
import io.llama2j.train.gatt.InstructionCheck;
import io.llama2j.train.gatt.MultiTurnCheck;
import io.llama2j.train.sft.Conversations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code llama2j gatt-check}: how many turns a model keeps a system instruction (what Ghost
 * Attention, paper §3.3, is for). Each dialog starts with the instruction as system message; the
 * model answers the user turns in order (greedy by default) and each answer is checked
 * automatically; prints a Markdown table of the success rate per turn.
 */
@Command(name = "gatt-check", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure how many turns a model follows a system instruction (Ghost Attention's goal).",
                "Example: llama2j gatt-check -m chat.gguf --instruction \"End every answer with the word Okay.\"",
                "         --check ends-with:Okay --dialogs held-out.jsonl --turns 5"})
public final class GattCheckCommand implements Callable<Integer> {
    /** Greedy decoding unless --temperature says otherwise: the check then measures the model, not the draw. */
    static final float DEFAULT_TEMPERATURE = 0f;

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, description = "The chat model to check.")
    Path model;

    @Option(names = {"-z", "--tokenizer"}, description = "Tokenizer file (default: from the model).")
    Path tokenizer;

    @Option(names = "--lora", description = "PEFT LoRA adapter folder applied to the model.")
    Path lora;

    @Option(names = "--instruction", required = true, description = "The system instruction every dialog starts with.")
    String instruction;

    @Option(names = "--check", required = true,
            description = "What a following answer satisfies: ends-with:WORD, contains:WORD or uppercase.")
    String check;

    @Option(names = "--dialogs", required = true, paramLabel = "FILE", description = "Dialogs (JSONL messages); their user turns are asked.")
    Path dialogs;

    @Option(names = "--turns", defaultValue = "5", description = "Turns checked per dialog (default ${DEFAULT-VALUE}).")
    int turns;

    @Option(names = "--max-answer-tokens", defaultValue = "64", description = "Most tokens per answer (default ${DEFAULT-VALUE}).")
    int maxAnswerTokens;

    @Option(names = {"-t", "--threads"}, description = "Threads (default: all cores).")
    Integer threads;

    @Mixin
    SamplingOptions sampling;

    @Override
    public Integer call() throws Exception {
        if (threads != null) Parallel.setSharedThreads(threads);
        InstructionCheck checker = InstructionCheck.parse(check);
        List<List<String>> userTurns = Conversations.read(dialogs).stream().map(GhostAttention::userTurns).toList();
        SamplerConfig samplerConfig = sampling.toConfig(spec.commandLine(), DEFAULT_TEMPERATURE, SamplerConfig.META_CHAT_TOP_P);
        MultiTurnCheck.Result r;
        try (LoadedModel m = ModelLoader.load(model, tokenizer)) {
            Llama llama = new Llama(m.config(), m.weights(), Parallel.shared(), lora == null ? null : PeftAdapterFiles.read(lora, m.config()));
            SessionChatModel chat = new SessionChatModel(m, llama, new Sampler(samplerConfig, m.config().vocabSize()), maxAnswerTokens);
            r = MultiTurnCheck.run(chat, instruction, checker, userTurns, turns);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "| turn | answers | followed (%s) | rate |%n|---|---|---|---|%n", checker);
        for (int t = 0; t < r.turns(); t++) {
            String rate = r.asked()[t] == 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * r.rate(t));
            out.printf(Locale.ROOT, "| %d | %d | %d | %s |%n", t + 1, r.asked()[t], r.passed()[t], rate);
        }
        out.flush();
        return 0;
    }
}
