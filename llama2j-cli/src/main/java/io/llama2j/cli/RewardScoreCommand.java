package io.llama2j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.reward.RewardScoreFile;
import io.llama2j.train.reward.TrainedRewardModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code llama2j reward-score}: scores responses with a reward model trained by
 * {@code reward-train}. Each JSONL line has messages|prompt and either "response" (one score) or
 * "chosen" and "rejected" (two scores, and whether the chosen one wins); each line is echoed
 * with the scores added ({@link RewardScoreFile}), and a summary (accuracy on pairs) goes to stderr.
 * Example: {@code llama2j reward-score --reward rm/ -z tokenizer.model --data answers.jsonl}
 */
@Command(name = "reward-score", mixinStandardHelpOptions = true, description = "Score responses with a trained reward model.")
public final class RewardScoreCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--reward", required = true, paramLabel = "DIR", description = "A reward-train output folder (checkpoint.bin, reward-head.bin).")
    Path reward;

    @Option(names = {"-z", "--tokenizer"}, required = true, description = "The tokenizer of the reward model's base model.")
    Path tokenizer;

    @Option(names = "--data", required = true, paramLabel = "JSONL", description = "Lines with messages|prompt and response, or chosen and rejected.")
    Path data;

    @Option(names = {"-t", "--threads"}, description = "Threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        if (threads != null) Parallel.setSharedThreads(threads);
        TrainedRewardModel model = TrainedRewardModel.load(reward, tokenizer);
        RewardScoreFile.Scored scored = RewardScoreFile.score(model, data, Parallel.shared());
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        for (ObjectNode line : scored.lines()) out.println(JSON.writeValueAsString(line));
        out.flush();
        if (scored.pairs() > 0) err.printf(Locale.ROOT, "reward-score: chosen scored above rejected in %d of %d pairs (%.3f)%n",
                scored.chosenWins(), scored.pairs(), (double) scored.chosenWins() / scored.pairs());
        return 0;
    }
}
