package io.llama2j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llama2j.chat.ChatFormat;
import io.llama2j.chat.EncodedDialog;
import io.llama2j.tensor.Parallel;
import io.llama2j.tokenizer.Tokenizer;
import io.llama2j.train.Checkpoint;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.TokenBatch;
import io.llama2j.train.reward.PreferenceData;
import io.llama2j.train.reward.RewardModel;
import io.llama2j.train.reward.ScalarHead;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code llama2j reward-score}: scores responses with a reward model trained by
 * {@code reward-train}. Each JSONL line has messages|prompt and either "response" (one score) or
 * "chosen" and "rejected" (two scores, and whether the chosen one wins); each line is echoed
 * with the scores added, and a summary (accuracy on pairs) goes to stderr.
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
        Checkpoint c = Checkpoint.read(reward.resolve(Checkpoint.FILE_NAME));
        ModelParameters backbone = new ModelParameters(c.model(), c.tiedEmbeddings());
        System.arraycopy(c.parameters(), 0, backbone.values(), 0, backbone.size());
        ScalarHead head = ScalarHead.read(reward.resolve(ScalarHead.FILE_NAME));
        Tokenizer tok = Tokenizer.load(tokenizer);
        if (tok.vocabSize() != c.model().vocabSize()) {
            throw new IllegalArgumentException(tokenizer + ": the tokenizer has " + tok.vocabSize() + " tokens, the reward model "
                    + c.model().vocabSize());
        }
        ChatFormat format = new ChatFormat(tok);
        // Encode every line first, so the model is planned for the longest sequence, not the full context
        List<ObjectNode> lines = new ArrayList<>();
        List<EncodedDialog[]> encoded = new ArrayList<>();
        int longest = 1;
        try (BufferedReader in = Files.newBufferedReader(data, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) continue;
                try {
                    JsonNode node = JSON.readTree(line);
                    if (node == null || !node.isObject()) throw new IllegalArgumentException("expected a JSON object");
                    var prompt = PreferenceData.prompt(node);
                    EncodedDialog[] responses = node.has("response")
                            ? new EncodedDialog[] {PreferenceData.encodeResponse(format, prompt, PreferenceData.text(node, "response"))}
                            : new EncodedDialog[] {PreferenceData.encodeResponse(format, prompt, PreferenceData.text(node, "chosen")),
                                    PreferenceData.encodeResponse(format, prompt, PreferenceData.text(node, "rejected"))};
                    for (EncodedDialog d : responses) {
                        if (d.length() > c.model().contextLength()) {
                            throw new IllegalArgumentException("prompt and response take " + d.length()
                                    + " tokens, more than the model's context " + c.model().contextLength());
                        }
                        longest = Math.max(longest, d.length());
                    }
                    lines.add((ObjectNode) node);
                    encoded.add(responses);
                } catch (java.io.IOException | IllegalArgumentException e) {
                    throw new IllegalArgumentException(data + ":" + number + ": " + e.getMessage(), e);
                }
            }
        }
        RewardModel model = new RewardModel(backbone, head, 1, longest, Parallel.shared());
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        int pairs = 0, wins = 0;
        for (int i = 0; i < lines.size(); i++) {
            ObjectNode result = lines.get(i);
            EncodedDialog[] responses = encoded.get(i);
            if (responses.length == 1) {
                result.put("score", score(model, responses[0], longest));
            } else {
                double chosen = score(model, responses[0], longest), rejected = score(model, responses[1], longest);
                result.put("chosen_score", chosen).put("rejected_score", rejected).put("chosen_wins", chosen > rejected);
                pairs++;
                if (chosen > rejected) wins++;
            }
            out.println(JSON.writeValueAsString(result));
        }
        out.flush();
        if (pairs > 0) err.printf(Locale.ROOT, "reward-score: chosen scored above rejected in %d of %d pairs (%.3f)%n", wins, pairs,
                (double) wins / pairs);
        return 0;
    }

    private static double score(RewardModel model, EncodedDialog d, int seq) {
        int[] inputs = new int[seq];
        System.arraycopy(d.ids(), 0, inputs, 0, d.length());
        TokenBatch batch = new TokenBatch(1, seq, inputs, new int[seq], new float[seq]);
        return model.scores(batch, new int[] {d.length() - 1})[0];
    }
}
