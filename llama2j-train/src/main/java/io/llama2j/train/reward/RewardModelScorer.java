package io.llama2j.train.reward;

import io.llama2j.chat.ChatFormat;
import io.llama2j.chat.EncodedDialog;
import io.llama2j.chat.Message;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.ModelParameters;

import java.util.List;

/**
 * A trained reward model as a {@link ResponseScorer}: prompt + response formatted with
 * {@link ChatFormat}, scored at the last token. Planned for one row of {@code maxTokens}
 * (padding after the end does not change the score: attention is causal).
 */
public final class RewardModelScorer implements ResponseScorer {
    private final RewardModel model;
    private final ChatFormat format;
    private final int maxTokens;

    public RewardModelScorer(ModelParameters backbone, ScalarHead head, ChatFormat format, int maxTokens, Parallel parallel) {
        this.model = new RewardModel(backbone, head, 1, maxTokens, parallel);
        this.format = format;
        this.maxTokens = maxTokens;
    }

    @Override
    public double score(List<Message> prompt, String response) {
        EncodedDialog d = PreferenceData.encodeResponse(format, prompt, response);
        if (d.length() > maxTokens) {
            throw new IllegalArgumentException("prompt and response take " + d.length() + " tokens, the reward model was planned for "
                    + maxTokens);
        }
        return model.score(d.ids());
    }
}
