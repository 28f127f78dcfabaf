package io.llama2j.cli;

import io.llama2j.model.LlamaConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.Checkpoint;
import io.llama2j.train.ModelInit;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.ModelShape;
import io.llama2j.train.Trainer;
import io.llama2j.train.TrainerConfig;
import io.llama2j.train.TrainingModel;
import io.llama2j.train.data.TokenDataset;
import io.llama2j.train.optim.OptimizerConfig;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code llama2j pretrain}: trains a Llama 2-architecture model from scratch on prepared shards
 * with the paper's optimizer recipe. Progress on stderr; log.jsonl, loss.png and checkpoint.bin
 * in the output folder; Ctrl-C saves a checkpoint, {@code --resume} continues it exactly.
 * Example: {@code llama2j pretrain --shape stories260K --data data/ --out run/ --steps 2000 --batch 8 --seq 256}
 */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = {"Pretrain a Llama 2-architecture model (AdamW 0.9/0.95, eps 1e-5, weight decay 0.1, clip 1.0,",
                "cosine schedule to 10%% of the peak LR 3e-4 after warmup: Llama 2 paper section 2.2)."})
public final class PretrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    static final class ShapeChoice {
        @Option(names = "--shape", paramLabel = "NAME", description = "stories260K, stories15M, stories42M or stories110M.")
        String name;

        @Option(names = "--config", paramLabel = "FILE", description = "JSON shape: dim, hidden_dim, n_layers, n_heads[, n_kv_heads, context_length, ...].")
        Path file;
    }

    @ArgGroup(exclusive = true)
    ShapeChoice shape;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Shards made by llama2j prepare.")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for the log, plot and checkpoint.")
    Path out;

    @Option(names = "--steps", defaultValue = "1000", description = "Optimizer steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch", defaultValue = "8", description = "Sequences per micro-batch (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seq", description = "Tokens per sequence (default: the shape's context length).")
    Integer seqLen;

    @Option(names = "--grad-accum", defaultValue = "1", description = "Micro-batches per step (default ${DEFAULT-VALUE}).")
    int gradAccum;

    @Option(names = "--lr", defaultValue = "3e-4", description = "Peak learning rate (default ${DEFAULT-VALUE}, the paper's).")
    double learningRate;

    @Option(names = "--warmup", description = "Warmup steps (default: min(100, steps / 10)).")
    Integer warmup;

    @Option(names = "--min-lr-ratio", defaultValue = "0.1", description = "Final LR / peak (default ${DEFAULT-VALUE}).")
    double minLrRatio;

    @Option(names = "--weight-decay", defaultValue = "0.1", description = "AdamW weight decay (default ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--grad-clip", defaultValue = "1.0", description = "Global gradient norm clip, 0 = off (default ${DEFAULT-VALUE}).")
    double gradClip;

    @Option(names = "--eval-every", defaultValue = "100", description = "Steps between validation losses (default ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--eval-batches", defaultValue = "8", description = "Validation micro-batches per evaluation (default ${DEFAULT-VALUE}).")
    int evalBatches;

    @Option(names = "--save-every", defaultValue = "0", description = "Steps between checkpoints; 0 = at the end and on Ctrl-C only.")
    int saveEvery;

    @Option(names = "--seed", defaultValue = "1337", description = "Seed of the initialization and the data order.")
    long seed;

    @Option(names = "--untied", description = "Give the output projection its own matrix (Llama 2) instead of the embedding's.")
    boolean untied;

    @Option(names = "--resume", description = "Continue the run in --out from its checkpoint (its shape and settings).")
    boolean resume;

    @Option(names = {"-t", "--threads"}, description = "Threads (default: all cores).")
    Integer threads;

    @Option(names = "--peak-gflops", defaultValue = "227",
            description = "Machine fp32 peak for the MFU figure (default ${DEFAULT-VALUE}: PEERS.md, 2 threads).")
    double peakGflops;

    @Override
    public Integer call() throws Exception {
        PrintStream err = new PrintStream(new WriterOutputStream(spec.commandLine().getErr()), true);
        if (threads != null) Parallel.setSharedThreads(threads);
        try (TokenDataset train = TokenDataset.open(data, TokenDataset.TRAIN);
             TokenDataset validation = openValidation(data)) {
            ModelParameters params;
            TrainerConfig config;
            Checkpoint checkpoint = null;
            if (resume) {
                checkpoint = Checkpoint.read(out.resolve(Checkpoint.FILE_NAME));
                params = new ModelParameters(checkpoint.model(), checkpoint.tiedEmbeddings());
                config = checkpoint.trainer();
                err.printf(Locale.ROOT, "pretrain: resuming at step %d of %d (settings from the checkpoint)%n",
                        checkpoint.step(), config.steps());
            } else {
                if (shape == null) throw new IllegalArgumentException("give the model shape with --shape NAME or --config FILE");
                ModelShape s = shape.name != null ? ModelShape.named(shape.name) : ModelShape.fromJson(shape.file);
                LlamaConfig model = s.config(train.vocabSize());
                boolean tied = s.tiedEmbeddings() && !untied;
                int seq = seqLen != null ? seqLen : model.contextLength();
                OptimizerConfig optimizer = OptimizerConfig.paper().withPeakLearningRate(learningRate)
                        .withWarmupSteps(warmup != null ? warmup : Math.min(OptimizerConfig.DEFAULT_WARMUP_STEPS, steps / 10))
                        .withMinLearningRateRatio(minLrRatio).withWeightDecay(weightDecay).withGradientClip(gradClip);
                config = new TrainerConfig(steps, batch, seq, gradAccum, evalEvery, evalBatches, saveEvery, seed, optimizer);
                params = ModelParameters.initialized(model, tied, ModelInit.withSeed(seed));
                err.printf(Locale.ROOT, "pretrain: %s, vocab %d, %s embeddings: %,d parameters; %d x %d tokens x %d accumulation"
                                + " = %,d tokens/step; activations %.1f MiB%n", s, model.vocabSize(), tied ? "tied" : "untied",
                        params.size(), config.batch(), config.seqLen(), config.gradAccum(), config.tokensPerStep(),
                        TrainingModel.activationBytes(model, config.batch(), config.seqLen()) / (1024.0 * 1024));
            }
            Files.createDirectories(out);
            Trainer trainer = new Trainer(params, config, train, validation, out, Parallel.shared(), err, checkpoint);
            int startStep = trainer.step();
            long start = System.nanoTime();
            Trainer.Result r = trainer.run();
            double seconds = (System.nanoTime() - start) / 1e9;
            long tokens = (long) (r.steps() - startStep) * config.tokensPerStep();
            double tokensPerSecond = tokens / seconds;
            // MFU as nanoGPT/PaLM count it: 6 FLOPs per parameter per token (forward 2, backward 4)
            double mfu = 6.0 * params.size() * tokensPerSecond / (peakGflops * 1e9);
            err.printf(Locale.ROOT, "pretrain: %d steps, train loss %.4f, validation loss %.4f; %.0f tokens/s, MFU %.1f%% of %.0f GFLOP/s;"
                            + " wrote %s, %s, %s%n", r.steps(), r.trainLoss(), r.validationLoss(), tokensPerSecond, 100 * mfu, peakGflops,
                    out.resolve(Checkpoint.FILE_NAME), out.resolve("log.jsonl"), out.resolve("loss.png"));
            return r.interrupted() ? 130 : 0;
        }
    }

    private static TokenDataset openValidation(Path data) throws java.io.IOException {
        try {
            return TokenDataset.open(data, TokenDataset.VALIDATION);
        } catch (java.io.IOException noValidationSplit) {
            return null;
        }
    }

    /** Lets the trainer print to picocli's error writer (so in-process tests capture it). */
    private static final class WriterOutputStream extends java.io.OutputStream {
        private final java.io.PrintWriter writer;
        private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

        WriterOutputStream(java.io.PrintWriter writer) { this.writer = writer; }

        @Override public synchronized void write(int b) {
            line.write(b);
            if (b == '\n') flush();
        }

        @Override public synchronized void flush() {
            writer.print(line.toString(java.nio.charset.StandardCharsets.UTF_8));
            writer.flush();
            line.reset();
        }
    }
}
