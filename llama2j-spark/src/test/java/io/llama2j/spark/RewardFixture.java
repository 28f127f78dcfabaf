package io.llama2j.spark;

import io.llama2j.TestData;
import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.train.Checkpoint;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.TrainerConfig;
import io.llama2j.train.optim.OptimizerConfig;
import io.llama2j.train.reward.RewardModel;
import io.llama2j.train.reward.ScalarHead;

import java.nio.file.Path;

/** A reward model folder as reward-train writes it: stories260K's weights as the backbone, a seeded head (tok512.bin). */
public final class RewardFixture {
    private RewardFixture() {}

    /** Writes checkpoint.bin and reward-head.bin into {@code folder}; returns it. */
    public static Path write(Path folder) throws Exception {
        try (LoadedModel base = ModelLoader.load(TestData.file("stories260K.bin"), TestData.file("tok512.bin"))) {
            ModelParameters backbone = ModelParameters.of(base.config(), base.weights());
            TrainerConfig trainer = new TrainerConfig(1, 1, 64, 1, 0, TrainerConfig.DEFAULT_EVAL_BATCHES, 0, 5, OptimizerConfig.paper());
            new Checkpoint(backbone.config(), backbone.tiedEmbeddings(), trainer, 1, 0, 0, backbone.values(),
                    new float[backbone.size()], new float[backbone.size()]).write(folder.resolve(Checkpoint.FILE_NAME));
            ScalarHead head = RewardModel.freshHead(backbone.config().dim(), 11);
            head.write(folder.resolve(ScalarHead.FILE_NAME));
        }
        return folder;
    }
}
