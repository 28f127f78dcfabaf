package io.llama2j.cli;

import io.llama2j.chat.ChatFormat;
import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.Checkpoint;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.optim.OptimizerConfig;
import io.llama2j.train.reward.EncodedPreference;
import io.llama2j.train.reward.PreferenceData;
import io.llama2j.train.reward.PreferenceTrainingConfig;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Options shared by {@code reward-train} and {@code dpo}: the starting model, the preference
 * JSONL, the held-out split, the preference training recipe (Llama 2 reward-model defaults), and
 * checkpointing ({@code --save-every}, {@code --resume}: Ctrl-C saves a checkpoint to continue from).
 */
final class PreferenceOptions {
    /** Share of the pairs held out when no --heldout file is given. */
    static final double DEFAULT_HELDOUT_FRACTION = 0.1;

    @Option(names = {"-m", "--model"}, required = true, description = "Starting model (GGUF, HF/Meta folder, llama2.c .bin).")
    Path model;

    @Option(names = {"-z", "--tokenizer"}, description = "Tokenizer, when the model does not carry one.")
    Path tokenizer;

    @Option(names = "--data", required = true, paramLabel = "JSONL", description = "Preference pairs: messages|prompt, chosen, rejected, rating.")
    Path data;

    @Option(names = "--heldout", paramLabel = "JSONL", description = "Held-out pairs (default: the last 10%% of --data after shuffling).")
    Path heldout;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for log.jsonl, loss.png, checkpoint.bin.")
    Path out;

    @Option(names = "--pairs-per-batch", defaultValue = "8", description = "Pairs per optimizer step (paper 512; default ${DEFAULT-VALUE}).")
    int pairsPerBatch;

    @Option(names = "--seq", defaultValue = "256", description = "Tokens per sequence; longer pairs are refused (default ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--epochs", defaultValue = "1", description = "Passes over the data (paper 1; default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--lr", defaultValue = "1e-5", description = "Peak LR, cosine to 10%% after 3%% warmup (min 5 steps) (paper 1e-5; default ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--eval-every", defaultValue = "0", description = "Steps between held-out evaluations; 0 = at the end (default ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--seed", defaultValue = "1337", description = "Order of the pairs and the held-out split.")
    long seed;

    @Option(names = "--save-every", defaultValue = "0", description = "Steps between checkpoints; 0 = at the end and on Ctrl-C only.")
    int saveEvery;

    @Option(names = "--resume", description = "Continue the run in --out from its checkpoint (same options).")
    boolean resume;

    @Option(names = {"-t", "--threads"}, description = "Threads (default: all cores).")
    Integer threads;

    PreferenceTrainingConfig trainingConfig() {
        return new PreferenceTrainingConfig(epochs, pairsPerBatch, seqLen, evalEvery, PreferenceTrainingConfig.PAPER_WARMUP_FRACTION,
                PreferenceTrainingConfig.PAPER_MIN_WARMUP_STEPS, saveEvery, seed, OptimizerConfig.paper().withPeakLearningRate(learningRate));
    }

    Parallel parallel() {
        if (threads != null) Parallel.setSharedThreads(threads);
        return Parallel.shared();
    }

    LoadedModel load() throws IOException {
        LoadedModel m = ModelLoader.load(model, tokenizer);
        if (seqLen > m.config().contextLength()) {
            throw new IllegalArgumentException("--seq " + seqLen + " exceeds the model's context length " + m.config().contextLength());
        }
        return m;
    }

    /** The checkpoint in --out to continue from with --resume, or null for a fresh run. */
    Checkpoint resumeFrom() throws IOException {
        return resume ? Checkpoint.read(out.resolve(Checkpoint.FILE_NAME)) : null;
    }

    static ModelParameters parameters(LoadedModel m) {
        return ModelParameters.of(m.config(), m.weights());
    }

    /** Training and held-out pairs. */
    record Split(List<EncodedPreference> train, List<EncodedPreference> heldOut) {}

    Split read(ChatFormat format) throws IOException {
        List<EncodedPreference> all = PreferenceData.read(data, format, seqLen);
        if (heldout != null) return new Split(all, PreferenceData.read(heldout, format, seqLen));
        List<EncodedPreference> shuffled = new ArrayList<>(all);
        Collections.shuffle(shuffled, new Random(seed));
        int held = (int) Math.round(shuffled.size() * DEFAULT_HELDOUT_FRACTION);
        if (held == 0 || held == shuffled.size()) {
            throw new IllegalArgumentException(data + ": " + shuffled.size() + " pairs are too few to hold out "
                    + (int) (100 * DEFAULT_HELDOUT_FRACTION) + "%; give --heldout FILE");
        }
        return new Split(shuffled.subList(held, shuffled.size()), shuffled.subList(0, held));
    }

    /** A PrintStream onto picocli's error writer (so in-process tests capture the progress). */
    static PrintStream progress(PrintWriter writer) {
        return new PrintStream(new java.io.OutputStream() {
            private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

            @Override public synchronized void write(int b) {
                line.write(b);
                if (b == '\n') flush();
            }

            @Override public synchronized void flush() {
                writer.print(line.toString(java.nio.charset.StandardCharsets.UTF_8));
                writer.flush();
                line.reset();
            }
        }, true, java.nio.charset.StandardCharsets.UTF_8);
    }
}
