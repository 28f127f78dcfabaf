package io.llama2j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llama2j.chat.ChatFormat;
import io.llama2j.chat.Message;
import io.llama2j.chat.Role;
import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.model.Llama;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.Checkpoint;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.TrainingLog;
import io.llama2j.train.reward.PreferenceData;
import io.llama2j.train.reward.RewardModelScorer;
import io.llama2j.train.reward.ScalarHead;
import io.llama2j.train.rl.RejectionSampler;
import io.llama2j.train.rl.RejectionSamplingConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code llama2j rejection-sample}: K samples per prompt from the policy, scored by a reward model
 * from {@code reward-train}; the best answer per prompt, pooled with the best of earlier
 * iterations already in --out, is written as SFT JSONL ({"messages": [..., assistant], "reward",
 * "iteration"}) for {@code llama2j sft}. Llama 2 paper §3.2.3. Each run is one iteration: it adds a
 * line to log.jsonl in --log-dir and redraws reward.png there (mean, best-of-K and pooled reward
 * per iteration); the pool file, replaced atomically, is the state the next iteration resumes from.
 * Example: {@code llama2j rejection-sample -m policy.gguf --reward rm/ --prompts prompts.jsonl -k 8 --out rs.jsonl}
 */
@Command(name = "rejection-sample", mixinStandardHelpOptions = true,
        description = "Best-of-K sampling scored by a reward model, pooled across iterations, written as SFT data.")
public final class RejectionSampleCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, description = "The policy to sample from.")
    Path model;

    @Option(names = {"-z", "--tokenizer"}, description = "Tokenizer, when the policy does not carry one.")
    Path tokenizer;

    @Option(names = "--reward", required = true, paramLabel = "DIR", description = "A reward-train output folder.")
    Path reward;

    @Option(names = "--prompts", required = true, paramLabel = "JSONL", description = "Lines with messages (ending with the user) or prompt.")
    Path prompts;

    @Option(names = {"-k", "--samples"}, defaultValue = "4", description = "Samples per prompt (default ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--temperature", defaultValue = "1.2", description = "Sampling temperature (paper 1.2-1.3 for RLHF models; default ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus threshold, 1 = off (default ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = {"-n", "--max-new-tokens"}, defaultValue = "128", description = "Longest answer (default ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--seed", defaultValue = "1337", description = "Seed of the samplers.")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "JSONL", description = "SFT data; an existing file is the pool of earlier iterations.")
    Path out;

    @Option(names = "--log-dir", paramLabel = "DIR", description = "Folder for log.jsonl and reward.png (default: beside --out, named after it with -log).")
    Path logDir;

    /** The plot of the rewards per iteration in --log-dir. */
    static final String REWARD_PLOT = "reward.png";

    @Override
    public Integer call() throws Exception {
        List<List<Message>> promptList = readPrompts(prompts);
        try (LoadedModel m = ModelLoader.load(model, tokenizer)) {
            Checkpoint c = Checkpoint.read(reward.resolve(Checkpoint.FILE_NAME));
            if (c.model().vocabSize() != m.config().vocabSize()) {
                throw new IllegalArgumentException(reward + ": the reward model has a vocabulary of " + c.model().vocabSize()
                        + " tokens, the policy " + m.config().vocabSize());
            }
            ModelParameters backbone = new ModelParameters(c.model(), c.tiedEmbeddings());
            System.arraycopy(c.parameters(), 0, backbone.values(), 0, backbone.size());
            ChatFormat format = new ChatFormat(m.tokenizer());
            // Plan the reward model for the longest prompt plus an answer re-encoded from text (which can take a few more
            // tokens than were sampled), not for the whole context
            int longestPrompt = promptList.stream().mapToInt(p -> format.encodePrompt(p).length()).max().orElseThrow();
            int scoredTokens = Math.min(c.model().contextLength(), longestPrompt + 2 * maxNewTokens + 4);
            var scorer = new RewardModelScorer(backbone, ScalarHead.read(reward.resolve(ScalarHead.FILE_NAME)), format,
                    scoredTokens, Parallel.shared());
            var config = new RejectionSamplingConfig(samples, temperature, topP, maxNewTokens, seed);
            List<RejectionSampler.PooledAnswer> earlier = Files.exists(out) ? readPool(out) : List.of();
            int iteration = earlier.stream().mapToInt(RejectionSampler.PooledAnswer::iteration).max().orElse(0) + 1;
            var fresh = new RejectionSampler(new Llama(m.config(), m.weights()), m.tokenizer(), scorer, config).sample(promptList);
            var pool = RejectionSampler.pool(scorer, earlier, fresh, iteration);
            writePool(out, pool);
            double mean = fresh.stream().mapToDouble(RejectionSampler.PromptSamples::meanReward).average().orElse(Double.NaN);
            double best = fresh.stream().mapToDouble(p -> p.best().reward()).average().orElse(Double.NaN);
            double pooled = pool.stream().mapToDouble(RejectionSampler.PooledAnswer::reward).average().orElse(Double.NaN);
            log(iteration, mean, best, pooled, pool.size());
            spec.commandLine().getErr().printf(Locale.ROOT,
                    "rejection-sample: iteration %d, %d prompts x %d samples at T=%s: mean reward %.4f, best-of-%d %.4f, pool %.4f"
                            + " (%d answers) written to %s%n", iteration, promptList.size(), samples, temperature, mean, samples, best,
                    pooled, pool.size(), out);
            return 0;
        }
    }

    private void log(int iteration, double mean, double best, double pooled, int poolSize) throws IOException {
        Path dir = logDir != null ? logDir
                : out.toAbsolutePath().resolveSibling(out.getFileName().toString().replaceFirst("\\.jsonl?$", "") + "-log");
        Files.createDirectories(dir);
        try (TrainingLog log = new TrainingLog(dir, iteration - 1)) {
            Map<String, Double> figures = new LinkedHashMap<>();
            figures.put("mean_reward", mean);
            figures.put("best_of_k_reward", best);
            figures.put("pool_reward", pooled);
            figures.put("pool_size", (double) poolSize);
            figures.put("samples_per_prompt", (double) samples);
            figures.put("temperature", (double) temperature);
            log.metrics(iteration, "rs", figures);
            log.plotFigures(REWARD_PLOT, "llama2j rejection-sample: reward per iteration (K " + samples + ", T " + temperature + ")",
                    List.of(new TrainingLog.Curve("mean of the K samples", "rs", "mean_reward"),
                            new TrainingLog.Curve("best of K", "rs", "best_of_k_reward"),
                            new TrainingLog.Curve("pooled answers", "rs", "pool_reward")));
        }
    }

    static List<List<Message>> readPrompts(Path file) throws IOException {
        List<List<Message>> list = new ArrayList<>();
        int number = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            number++;
            if (line.isBlank()) continue;
            try {
                list.add(PreferenceData.prompt(JSON.readTree(line)));
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ":" + number + ": " + e.getMessage(), e);
            }
        }
        if (list.isEmpty()) throw new IllegalArgumentException(file + ": no prompts");
        return list;
    }

    private static List<RejectionSampler.PooledAnswer> readPool(Path file) throws IOException {
        List<RejectionSampler.PooledAnswer> pool = new ArrayList<>();
        int number = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            number++;
            if (line.isBlank()) continue;
            try {
                JsonNode node = JSON.readTree(line);
                List<Message> messages = PreferenceData.prompt(node);
                if (messages.size() < 2 || messages.getLast().role() != Role.ASSISTANT) {
                    throw new IllegalArgumentException("a pooled answer must end with an assistant message");
                }
                pool.add(new RejectionSampler.PooledAnswer(messages.subList(0, messages.size() - 1), messages.getLast().content(),
                        node.path("reward").asDouble(Double.NEGATIVE_INFINITY), node.path("iteration").asInt(0)));
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ":" + number + ": " + e.getMessage(), e);
            }
        }
        return pool;
    }

    private static void writePool(Path file, List<RejectionSampler.PooledAnswer> pool) throws IOException {
        List<String> lines = new ArrayList<>();
        for (var a : pool) {
            ObjectNode node = JSON.createObjectNode();
            ArrayNode messages = node.putArray("messages");
            for (Message msg : a.prompt()) messages.addObject().put("role", msg.role().wireName()).put("content", msg.content());
            messages.addObject().put("role", Role.ASSISTANT.wireName()).put("content", a.response());
            node.put("reward", a.reward()).put("iteration", a.iteration());
            lines.add(JSON.writeValueAsString(node));
        }
        if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
        // Replaced atomically: an interrupted iteration leaves the previous pool intact
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(temp, lines, StandardCharsets.UTF_8);
        Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
