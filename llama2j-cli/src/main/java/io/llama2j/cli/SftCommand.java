package io.llama2j.cli;

import io.llama2j.chat.ChatFormat;
import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.lora.LoraConfig;
import io.llama2j.lora.LoraTarget;
import io.llama2j.lora.PeftAdapterFiles;
import io.llama2j.tensor.GgmlType;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.Checkpoint;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.ProjectionAdapter;
import io.llama2j.train.QuantizedWeights;
import io.llama2j.train.TrainableParameters;
import io.llama2j.train.Trainer;
import io.llama2j.train.TrainerConfig;
import io.llama2j.train.TrainingWeights;
import io.llama2j.loading.ModelFormat;
import io.llama2j.train.export.ModelExport;
import io.llama2j.train.lora.LoraParameters;
import io.llama2j.train.optim.OptimizerConfig;
import io.llama2j.train.sft.Conversations;
import io.llama2j.train.sft.PackedSequences;
import io.llama2j.train.sft.SftBatches;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code llama2j sft}: supervised fine-tuning (Llama 2 paper §3.1) with the pretraining trainer:
 * conversations formatted by ChatFormat, packed into sequences, the loss on assistant tokens only
 * (the mask is data), cosine LR from 2e-5, weight decay 0.1, 64 sequences per step, 2 epochs.
 * Full fine-tuning, or LoRA adapters on a frozen model with {@code --lora}; QLoRA (the frozen
 * base kept quantized, dequantized block by block on the fly) with {@code --qlora}, and
 * automatically with {@code --lora} when the model's matrices are quantized (a Q4_0 / Q8_0 GGUF):
 * its blocks stay memory-mapped as stored. A float base is quantized to NF4 at load
 * ({@code --qlora-type}).
 */
@Command(name = "sft", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Supervised fine-tuning on chat conversations (JSONL {\"messages\":[{\"role\",\"content\"}...]};",
                "Self-Instruct task lines are read too). Loss on assistant answers only; paper defaults.",
                "Writes log.jsonl, loss.png, checkpoint.bin and the result (model.gguf, or adapter/ with --lora) in --out."})
public final class SftCommand implements Callable<Integer> {
    /** Paper §3.1: cosine schedule from 2e-5, batch 64 sequences, 2 epochs, sequences of 4096 tokens. */
    static final double PAPER_LR = 2e-5;
    static final int PAPER_SEQUENCES_PER_STEP = 64;
    static final int PAPER_EPOCHS = 2;
    static final int PAPER_SEQ_LEN = 4096;

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, description = "Base model file or folder.")
    Path model;

    @Option(names = {"-z", "--tokenizer"}, description = "Tokenizer file (default: from the model).")
    Path tokenizer;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Training conversations (JSONL).")
    Path data;

    @Option(names = "--val-data", paramLabel = "FILE", description = "Held-out conversations (default: --val-fraction of --data).")
    Path validationData;

    @Option(names = "--val-fraction", defaultValue = "0.1", description = "Share of --data held out when no --val-data (default ${DEFAULT-VALUE}).")
    double validationFraction;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for log, plot, checkpoint and result.")
    Path out;

    @Option(names = "--lora", description = "Train LoRA adapters on a frozen model instead of every weight.")
    boolean lora;

    @Option(names = "--qlora", description = {"QLoRA: LoRA (implied) beside a frozen base kept quantized and dequantized block by block",
            "on the fly. Automatic with --lora when the model's matrices are quantized (e.g. a Q4_0 or Q8_0 GGUF)."})
    boolean qlora;

    /** How QLoRA keeps the frozen base. */
    enum QloraType {
        /** Quantized matrices as stored, float ones (F32, F16, BF16) as NF4. */
        auto,
        /** Every matrix quantized to NF4 at load. */
        nf4,
        /** Every matrix as stored (a float base stays F16 / F32). */
        stored
    }

    @Option(names = "--qlora-type", defaultValue = "auto",
            description = "QLoRA base storage: auto (quantized files as stored, float ones as NF4), nf4, stored (default ${DEFAULT-VALUE}).")
    QloraType qloraType;

    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank r (default ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--alpha", defaultValue = "16", description = "LoRA alpha; the update is scaled by alpha/r (default ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--lora-dropout", defaultValue = "0.05", description = "Dropout on the adapters' input (default ${DEFAULT-VALUE}).")
    double loraDropout;

    @Option(names = "--targets", defaultValue = "q_proj,k_proj,v_proj,o_proj", split = ",",
            description = "Projections with adapters: q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj (default ${DEFAULT-VALUE}).")
    List<String> targets;

    @Option(names = "--seq", description = "Tokens per packed sequence (default: min(4096, the model's context)).")
    Integer seqLen;

    @Option(names = "--batch", defaultValue = "1", description = "Sequences per micro-batch (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--sequences-per-step", defaultValue = "64", description = "Sequences per optimizer step, through accumulation (default ${DEFAULT-VALUE}, the paper's).")
    int sequencesPerStep;

    @Option(names = "--epochs", defaultValue = "2", description = "Passes over the data (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--steps", description = "Optimizer steps (default: what --epochs takes).")
    Integer steps;

    @Option(names = "--lr", defaultValue = "2e-5", description = "Initial learning rate of the cosine schedule (default ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--warmup", defaultValue = "0", description = "Warmup steps (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--weight-decay", defaultValue = "0.1", description = "AdamW weight decay (default ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--eval-every", defaultValue = "10", description = "Steps between held-out losses (default ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--save-every", defaultValue = "0", description = "Steps between checkpoints; 0 = at the end and on Ctrl-C only.")
    int saveEvery;

    @Option(names = "--seed", defaultValue = "1337", description = "Seed of the data order, split and adapters.")
    long seed;

    @Option(names = "--resume", description = "Continue the run in --out from its checkpoint (same options).")
    boolean resume;

    @Option(names = {"-t", "--threads"}, description = "Threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        PrintStream err = new PrintStream(new java.io.OutputStream() {
            private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
            @Override public synchronized void write(int b) {
                line.write(b);
                if (b == '\n') {
                    spec.commandLine().getErr().print(line.toString(java.nio.charset.StandardCharsets.UTF_8));
                    spec.commandLine().getErr().flush();
                    line.reset();
                }
            }
        }, true);
        if (threads != null) Parallel.setSharedThreads(threads);
        if (sequencesPerStep % batch != 0) {
            throw new IllegalArgumentException("--sequences-per-step " + sequencesPerStep + " must be a multiple of --batch " + batch);
        }
        try (LoadedModel m = ModelLoader.load(model, tokenizer)) {
            ChatFormat format = new ChatFormat(m.tokenizer());
            List<Conversations.Conversation> all = Conversations.read(data);
            List<Conversations.Conversation> train, held;
            if (validationData != null) {
                train = all;
                held = Conversations.read(validationData);
            } else {
                if (!(validationFraction >= 0 && validationFraction < 1)) {
                    throw new IllegalArgumentException("--val-fraction must be in [0, 1), found " + validationFraction);
                }
                List<Conversations.Conversation> shuffled = new ArrayList<>(all);
                Collections.shuffle(shuffled, new Random(seed));
                int heldCount = (int) Math.round(all.size() * validationFraction);
                held = shuffled.subList(0, heldCount);
                train = shuffled.subList(heldCount, shuffled.size());
            }
            int seq = seqLen != null ? seqLen : Math.min(PAPER_SEQ_LEN, m.config().contextLength());
            PackedSequences trainSeqs = PackedSequences.pack(train, format, seq);
            PackedSequences heldSeqs = held.isEmpty() ? null : PackedSequences.pack(held, format, seq);
            int runSteps = steps != null ? steps : SftBatches.steps(trainSeqs.size(), epochs, sequencesPerStep);
            OptimizerConfig optimizer = OptimizerConfig.paper().withPeakLearningRate(learningRate).withWarmupSteps(warmup)
                    .withWeightDecay(weightDecay);
            int evalBatches = heldSeqs == null ? 1 : Math.ceilDiv(heldSeqs.size(), batch);
            TrainerConfig config = new TrainerConfig(runSteps, batch, seq, sequencesPerStep / batch, evalEvery, evalBatches,
                    saveEvery, seed, optimizer);
            err.printf(Locale.ROOT, "sft: %d conversations -> %d sequences of %d tokens (%,d answer tokens, %d cut); held out %d -> %s;"
                            + " %d steps of %d sequences%n", train.size(), trainSeqs.size(), seq, trainSeqs.answerTokens(),
                    trainSeqs.truncated(), held.size(), heldSeqs == null ? "none" : heldSeqs.size() + " sequences", runSteps, sequencesPerStep);

            boolean quantizedBase = m.weights().wq()[0].type().blockSize() > 1;
            boolean useQlora = qlora || (lora && quantizedBase);
            TrainingWeights params;
            if (useQlora) {
                QuantizedWeights.Storage storage = switch (qloraType) {
                    case auto -> quantizedBase ? QuantizedWeights.Storage.AS_LOADED : QuantizedWeights.Storage.NF4;
                    case nf4 -> QuantizedWeights.Storage.NF4;
                    case stored -> QuantizedWeights.Storage.AS_LOADED;
                };
                QuantizedWeights base = QuantizedWeights.of(m.config(), m.weights(), storage);
                err.printf(Locale.ROOT, "sft: QLoRA: frozen base of %,d parameters %s %s (%,d MB of matrices), dequantized block by block%n",
                        base.parameterCount(), storage == QuantizedWeights.Storage.NF4 ? "quantized to" : "kept as",
                        storage == QuantizedWeights.Storage.NF4 ? "NF4" : m.weights().wq()[0].type(), base.matrixBytes() >> 20);
                params = base;
            } else {
                params = ModelParameters.of(m.config(), m.weights());
            }
            TrainableParameters trained = params instanceof ModelParameters full ? full : null;
            ProjectionAdapter adapter = null;
            LoraParameters loraParams = null;
            if (lora || useQlora) {
                Set<LoraTarget> targetSet = EnumSet.noneOf(LoraTarget.class);
                for (String t : targets) targetSet.add(LoraTarget.parse(t));
                loraParams = new LoraParameters(new LoraConfig(rank, alpha, loraDropout, targetSet), m.config(), seed, Parallel.shared());
                trained = loraParams;
                adapter = loraParams;
                err.printf(Locale.ROOT, "sft: LoRA r=%d alpha=%s dropout=%s on %s: %,d trainable parameters (the model's %,d frozen)%n",
                        rank, alpha, loraDropout, targetSet, loraParams.size(), params.parameterCount());
            }
            Checkpoint checkpoint = null;
            if (resume) {
                checkpoint = Checkpoint.read(out.resolve(Checkpoint.FILE_NAME));
                err.printf(Locale.ROOT, "sft: resuming at step %d of %d%n", checkpoint.step(), runSteps);
            }
            Files.createDirectories(out);
            Trainer trainer = new Trainer(params, trained, adapter, config, new SftBatches(trainSeqs, batch, seed, true),
                    heldSeqs == null ? null : () -> new SftBatches(heldSeqs, batch, seed, false), "sft", out, Parallel.shared(),
                    err, checkpoint);
            if (heldSeqs != null && !resume) {
                err.printf(Locale.ROOT, "sft: held-out answer loss before training %.4f%n", trainer.validationLoss());
            }
            Trainer.Result r = trainer.run();
            if (r.interrupted()) return 130;
            Path result;
            if (loraParams != null) {
                result = out.resolve("adapter");
                PeftAdapterFiles.write(result, loraParams.toAdapter(), m.config(), model.toString());
            } else {
                result = out.resolve("model.gguf");
                ModelExport.export((ModelParameters) params, tokenizerFile(), ModelFormat.GGUF, GgmlType.F32, result);
            }
            err.printf(Locale.ROOT, "sft: %d steps, train loss %.4f, held-out answer loss %.4f; wrote %s%n",
                    r.steps(), r.trainLoss(), r.validationLoss(), result);
            return 0;
        }
    }

    /** The tokenizer file the model was loaded with, for the exported GGUF's vocabulary. */
    private Path tokenizerFile() throws java.io.IOException {
        if (tokenizer != null) return tokenizer;
        if (Files.isDirectory(model)) {
            for (String name : new String[]{"tokenizer.model", "tokenizer.json"}) {
                if (Files.isRegularFile(model.resolve(name))) return model.resolve(name);
            }
            throw new java.io.IOException(model + ": no tokenizer.model or tokenizer.json to export the model with; pass -z");
        }
        if (model.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf")) return model;
        Path sibling = model.resolveSibling(ModelLoader.LLAMA2C_TOKENIZER_NAME);
        if (Files.isRegularFile(sibling)) return sibling;
        throw new java.io.IOException(model + ": no tokenizer found next to it to export the model with; pass -z");
    }
}
