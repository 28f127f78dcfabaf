package io.llama2j.cli;

import io.llama2j.chat.ChatFormat;
import io.llama2j.chat.Message;
import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.Checkpoint;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.reward.RewardModelScorer;
import io.llama2j.train.reward.ScalarHead;
import io.llama2j.train.rl.PpoConfig;
import io.llama2j.train.rl.PpoTrainer;
import io.llama2j.train.rl.RewardShapingConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code llama2j ppo}: PPO of a policy against a reward model from {@code reward-train} (Llama 2
 * §3.2.3): frozen reference, value model initialised from the reward model, GAE, clipped
 * objective, one gradient step per mini-batch, constant LR, early stopping on held-out prompts.
 * Paper values are the defaults (batch 512, mini-batch 64, LR 1e-6, β 0.01, clip 0.2); size them
 * down with the flags. Responses end at EOS or after --response-tokens. Ctrl-C saves a checkpoint;
 * {@code --resume} continues the run in --out exactly.
 * Example: {@code llama2j ppo -m sft.gguf --reward rm/ --prompts prompts.jsonl --out ppo/ --batch 16 --mini-batch 4}
 */
@Command(name = "ppo", mixinStandardHelpOptions = true, description = "PPO of a policy against a trained reward model.")
public final class PpoCommand implements Callable<Integer> {
    /** Share of the prompts held out for early stopping when no --heldout file is given. */
    static final double DEFAULT_HELDOUT_FRACTION = 0.1;

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, description = "The policy to train (also the frozen reference).")
    Path model;

    @Option(names = {"-z", "--tokenizer"}, description = "Tokenizer, when the policy does not carry one.")
    Path tokenizer;

    @Option(names = "--reward", required = true, paramLabel = "DIR", description = "A reward-train output folder (reward and value model).")
    Path reward;

    @Option(names = "--prompts", required = true, paramLabel = "JSONL", description = "Lines with messages (ending with the user) or prompt.")
    Path prompts;

    @Option(names = "--heldout", paramLabel = "JSONL", description = "Held-out prompts (default: every 10th of --prompts).")
    Path heldout;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for log.jsonl, loss.png, checkpoint.bin.")
    Path out;

    @Option(names = "--iterations", defaultValue = "200", description = "PPO iterations (paper 200-400; default ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--batch", defaultValue = "512", description = "Prompts per iteration (paper ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--mini-batch", defaultValue = "64", description = "Samples per gradient step (paper ${DEFAULT-VALUE}).")
    int miniBatch;

    @Option(names = "--lr", defaultValue = "1e-6", description = "Constant policy LR (paper ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--value-lr", defaultValue = "1e-5", description = "Constant value-model LR (default ${DEFAULT-VALUE}).")
    double valueLearningRate;

    @Option(names = "--beta", defaultValue = "0.01", description = "KL penalty (paper 0.01 for 7B/13B, 0.005 for 34B/70B).")
    double beta;

    @Option(names = "--clip", defaultValue = "0.2", description = "Clip range of the objective (paper ${DEFAULT-VALUE}).")
    double clip;

    @Option(names = "--patience", defaultValue = "3", description = "Iterations without a better held-out reward before stopping (default ${DEFAULT-VALUE}).")
    int patience;

    @Option(names = "--response-tokens", defaultValue = "64", description = "Most tokens per sampled response; EOS ends one sooner (default ${DEFAULT-VALUE}).")
    int responseTokens;

    @Option(names = "--seed", defaultValue = "1337", description = "Seed of the prompt order and the sampling.")
    long seed;

    @Option(names = "--save-every", defaultValue = "0", description = "Iterations between checkpoints; 0 = at the end and on Ctrl-C only.")
    int saveEvery;

    @Option(names = "--resume", description = "Continue the run in --out from its checkpoint (same options).")
    boolean resume;

    @Option(names = {"-t", "--threads"}, description = "Threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        if (threads != null) Parallel.setSharedThreads(threads);
        Parallel parallel = Parallel.shared();
        PrintStream err = PreferenceOptions.progress(spec.commandLine().getErr());
        PpoConfig config = new PpoConfig(iterations, batch, miniBatch, clip, PpoConfig.DEFAULT_GAMMA, PpoConfig.DEFAULT_LAMBDA,
                learningRate, valueLearningRate, patience, RewardShapingConfig.paper().withKlBeta(beta), saveEvery);
        List<List<Message>> all = RejectionSampleCommand.readPrompts(prompts);
        List<List<Message>> train = new ArrayList<>(), held = new ArrayList<>();
        if (heldout != null) {
            train.addAll(all);
            held.addAll(RejectionSampleCommand.readPrompts(heldout));
        } else {
            int every = (int) Math.round(1 / DEFAULT_HELDOUT_FRACTION);
            for (int i = 0; i < all.size(); i++) (i % every == every - 1 ? held : train).add(all.get(i));
            if (held.isEmpty()) throw new IllegalArgumentException(prompts + ": too few prompts to hold out 10%; give --heldout FILE");
        }
        try (LoadedModel m = ModelLoader.load(model, tokenizer)) {
            Checkpoint rm = Checkpoint.read(reward.resolve(Checkpoint.FILE_NAME));
            if (rm.model().vocabSize() != m.config().vocabSize()) {
                throw new IllegalArgumentException(reward + ": the reward model has a vocabulary of " + rm.model().vocabSize()
                        + " tokens, the policy " + m.config().vocabSize());
            }
            ChatFormat format = new ChatFormat(m.tokenizer());
            Map<int[], List<Message>> messagesOf = new IdentityHashMap<>();
            List<int[]> trainIds = encode(train, format, messagesOf), heldIds = encode(held, format, messagesOf);
            int longestPrompt = messagesOf.keySet().stream().mapToInt(ids -> ids.length).max().orElseThrow();
            if (longestPrompt + responseTokens > m.config().contextLength()) {
                throw new IllegalArgumentException("the longest prompt (" + longestPrompt + " tokens) plus --response-tokens "
                        + responseTokens + " exceed the policy's context " + m.config().contextLength());
            }
            ModelParameters policy = PreferenceOptions.parameters(m), reference = PreferenceOptions.parameters(m);
            ModelParameters rewardBackbone = backbone(rm), valueBackbone = backbone(rm);
            ScalarHead rewardHead = ScalarHead.read(reward.resolve(ScalarHead.FILE_NAME));
            ScalarHead valueHead = new ScalarHead(rewardHead.values().clone());
            // Responses are re-encoded from text for the reward model, which can take a few more tokens than were sampled
            var scorer = new RewardModelScorer(rewardBackbone, rewardHead, format,
                    Math.min(rm.model().contextLength(), longestPrompt + 2 * responseTokens + 4), parallel);
            PpoTrainer.SequenceReward score = (prompt, response) ->
                    scorer.score(messagesOf.get(prompt), m.tokenizer().decode(response).strip());
            err.printf(Locale.ROOT, "ppo: %,d parameters; %d training and %d held-out prompts; batch %d, mini-batch %d, LR %s, beta %s%n",
                    policy.size(), trainIds.size(), heldIds.size(), batch, miniBatch, learningRate, beta);
            PpoTrainer trainer = new PpoTrainer(policy, reference, valueBackbone, valueHead, score, config, longestPrompt,
                    responseTokens, m.tokenizer().eosId(), parallel, err);
            Checkpoint resumeFrom = resume ? Checkpoint.read(out.resolve(Checkpoint.FILE_NAME)) : null;
            double before = trainer.heldOutReward(heldIds, seed);
            List<PpoTrainer.IterationStats> stats = trainer.train(trainIds, heldIds, out, seed, resumeFrom);
            if (trainer.interrupted()) return 0;
            double after = trainer.heldOutReward(heldIds, seed);
            err.printf(Locale.ROOT, "ppo: %d iterations; held-out reward %.4f -> %.4f; wrote %s%n", stats.size(), before, after, out);
            return 0;
        }
    }

    private static List<int[]> encode(List<List<Message>> prompts, ChatFormat format, Map<int[], List<Message>> messagesOf) {
        List<int[]> ids = new ArrayList<>();
        for (List<Message> p : prompts) {
            int[] encoded = format.encodePrompt(p).ids();
            messagesOf.put(encoded, p);
            ids.add(encoded);
        }
        return ids;
    }

    private static ModelParameters backbone(Checkpoint c) {
        ModelParameters p = new ModelParameters(c.model(), c.tiedEmbeddings());
        System.arraycopy(c.parameters(), 0, p.values(), 0, p.size());
        return p;
    }
}
