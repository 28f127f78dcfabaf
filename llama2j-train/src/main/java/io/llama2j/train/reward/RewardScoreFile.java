package io.llama2j.train.reward;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llama2j.chat.ChatFormat;
import io.llama2j.chat.EncodedDialog;
import io.llama2j.chat.Message;
import io.llama2j.tensor.Parallel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code llama2j reward-score} does to a JSONL file. Each line has "messages" or "prompt"
 * ({@link PreferenceData#prompt}) and either "response" (its score goes to "score") or "chosen"
 * and "rejected" (their scores go to "chosen_score" and "rejected_score", and "chosen_wins" says
 * whether the chosen one scored higher); each line comes back with those fields added. Every
 * line is encoded first, so that the reward model is planned for the file's longest prompt +
 * response rather than for the whole context. The Spark scoring job reads the same fields.
 */
public final class RewardScoreFile {
    public static final String RESPONSE = "response";
    public static final String CHOSEN = "chosen";
    public static final String REJECTED = "rejected";
    public static final String SCORE = "score";
    public static final String CHOSEN_SCORE = "chosen_score";
    public static final String REJECTED_SCORE = "rejected_score";
    public static final String CHOSEN_WINS = "chosen_wins";

    private RewardScoreFile() {}

    /** The scored lines, in file order, and how often the chosen response won among the pairs. */
    public record Scored(List<ObjectNode> lines, int pairs, int chosenWins) {}

    /** Scores every line of {@code data}; a malformed line fails the whole file, naming the file and line. */
    public static Scored score(TrainedRewardModel model, Path data, Parallel parallel) throws IOException {
        ChatFormat format = model.chatFormat();
        List<ObjectNode> lines = new ArrayList<>();
        List<EncodedDialog[]> encoded = new ArrayList<>();
        PreferenceData.forEachObject(data, node -> {
            List<Message> prompt = PreferenceData.prompt(node);
            EncodedDialog[] responses = node.has(RESPONSE)
                    ? new EncodedDialog[] {encode(format, prompt, PreferenceData.text(node, RESPONSE), model.contextLength())}
                    : new EncodedDialog[] {encode(format, prompt, PreferenceData.text(node, CHOSEN), model.contextLength()),
                            encode(format, prompt, PreferenceData.text(node, REJECTED), model.contextLength())};
            lines.add(node);
            encoded.add(responses);
        });
        int longest = 1;
        for (EncodedDialog[] responses : encoded) {
            for (EncodedDialog d : responses) longest = Math.max(longest, d.length());
        }
        RewardModel scorer = new RewardModel(model.backbone(), model.head(), 1, longest, parallel);
        int pairs = 0, wins = 0;
        for (int i = 0; i < lines.size(); i++) {
            ObjectNode result = lines.get(i);
            EncodedDialog[] responses = encoded.get(i);
            if (responses.length == 1) {
                result.put(SCORE, scorer.score(responses[0].ids()));
            } else {
                double chosen = scorer.score(responses[0].ids()), rejected = scorer.score(responses[1].ids());
                result.put(CHOSEN_SCORE, chosen).put(REJECTED_SCORE, rejected).put(CHOSEN_WINS, chosen > rejected);
                pairs++;
                if (chosen > rejected) wins++;
            }
        }
        return new Scored(lines, pairs, wins);
    }

    /**
     * Prompt + response as the reward model reads them ({@link PreferenceData#encodeResponse}).
     *
     * @throws IllegalArgumentException when they take more than {@code contextLength} tokens
     */
    public static EncodedDialog encode(ChatFormat format, List<Message> prompt, String response, int contextLength) {
        EncodedDialog d = PreferenceData.encodeResponse(format, prompt, response);
        if (d.length() > contextLength) {
            throw new IllegalArgumentException("prompt and response take " + d.length() + " tokens, more than the model's context "
                    + contextLength);
        }
        return d;
    }
}
