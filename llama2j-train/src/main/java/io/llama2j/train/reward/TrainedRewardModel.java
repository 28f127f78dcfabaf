package io.llama2j.train.reward;

import io.llama2j.chat.ChatFormat;
import io.llama2j.tokenizer.Tokenizer;
import io.llama2j.train.Checkpoint;
import io.llama2j.train.ModelParameters;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A {@code reward-train} output folder loaded for scoring: the backbone's parameters
 * ({@link Checkpoint#FILE_NAME}), the scalar head ({@link ScalarHead#FILE_NAME}) and the base
 * model's tokenizer, checked to agree with each other. What {@code reward-score} and the Spark
 * scoring job read.
 */
public record TrainedRewardModel(Path folder, ModelParameters backbone, ScalarHead head, Tokenizer tokenizer) {

    public TrainedRewardModel {
        if (tokenizer.vocabSize() != backbone.config().vocabSize()) {
            throw new IllegalArgumentException(folder + ": the tokenizer has " + tokenizer.vocabSize() + " tokens, the reward model "
                    + backbone.config().vocabSize());
        }
        if (head.dim() != backbone.config().dim()) {
            throw new IllegalArgumentException(folder + ": the scalar head has width " + head.dim() + ", the backbone dim "
                    + backbone.config().dim());
        }
    }

    /** Reads {@code folder} (checkpoint.bin and reward-head.bin) and the tokenizer file. */
    public static TrainedRewardModel load(Path folder, Path tokenizerFile) throws IOException {
        Checkpoint c = Checkpoint.read(folder.resolve(Checkpoint.FILE_NAME));
        ModelParameters backbone = new ModelParameters(c.model(), c.tiedEmbeddings());
        System.arraycopy(c.parameters(), 0, backbone.values(), 0, backbone.size());
        ScalarHead head = ScalarHead.read(folder.resolve(ScalarHead.FILE_NAME));
        return new TrainedRewardModel(folder, backbone, head, Tokenizer.load(tokenizerFile));
    }

    /** The longest prompt + response the backbone can score. */
    public int contextLength() { return backbone.config().contextLength(); }

    public ChatFormat chatFormat() { return new ChatFormat(tokenizer); }
}
