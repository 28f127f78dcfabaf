package io.llama2j.cli;

import io.llama2j.chat.ChatFormat;
import io.llama2j.loading.LoadedModel;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.reward.MarginTable;
import io.llama2j.train.reward.PreferenceTrainer;
import io.llama2j.train.reward.RewardModel;
import io.llama2j.train.reward.RewardObjective;
import io.llama2j.train.reward.ScalarHead;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code llama2j reward-train}: a reward model (Llama 2 §3.2.2) from a chat or base checkpoint:
 * the next-token head replaced by a scalar head, trained with the margin ranking loss on
 * preference pairs. Writes checkpoint.bin (backbone; {@code llama2j export} turns it into a model)
 * and reward-head.bin, with log.jsonl (held-out accuracy per rating) and loss.png.
 * Example: {@code llama2j reward-train -m chat.gguf --data prefs.jsonl --out rm/ --margin small}
 */
@Command(name = "reward-train", mixinStandardHelpOptions = true,
        description = {"Train a reward model on preference pairs: -log sigmoid(r_c - r_r - m(rating)) (Llama 2 section 3.2.2;",
                "1 epoch, LR 1e-5 cosine to 10%%, 3%% warmup with at least 5 steps)."})
public final class RewardTrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    PreferenceOptions options;

    @Option(names = "--margin", defaultValue = "small", description = "Margin table of the paper's Table 27: none, small or large (default ${DEFAULT-VALUE}).")
    String margin;

    @Override
    public Integer call() throws Exception {
        MarginTable margins = switch (margin.toLowerCase(Locale.ROOT)) {
            case "none" -> MarginTable.NONE;
            case "small" -> MarginTable.SMALL;
            case "large" -> MarginTable.LARGE;
            default -> throw new IllegalArgumentException("unknown --margin " + margin + "; expected none, small or large");
        };
        PrintStream err = PreferenceOptions.progress(spec.commandLine().getErr());
        Parallel parallel = options.parallel();
        try (LoadedModel m = options.load()) {
            var split = options.read(new ChatFormat(m.tokenizer()));
            ModelParameters backbone = PreferenceOptions.parameters(m);
            ScalarHead head = RewardModel.freshHead(backbone.config().dim(), options.seed);
            var config = options.trainingConfig();
            RewardModel model = new RewardModel(backbone, head, 2 * config.pairsPerBatch(), config.seqLen(), parallel);
            err.printf(Locale.ROOT, "reward-train: %,d parameters + head of %d; %d training and %d held-out pairs; margin %s%n",
                    backbone.size(), head.values().length, split.train().size(), split.heldOut().size(), margins);
            PreferenceTrainer trainer = new PreferenceTrainer(new RewardObjective(model, margins), config,
                    m.tokenizer().eosId(), parallel, err);
            PreferenceTrainer.Result r = trainer.train(split.train(), split.heldOut(), options.out, options.resumeFrom());
            if (r.interrupted()) return 0;
            err.printf(Locale.ROOT, "reward-train: %d steps, train loss %.4f; held-out accuracy %.3f %s; wrote %s%n", r.steps(),
                    r.trainLoss(), r.heldOut().accuracy(), r.heldOut().accuracyByRating(), options.out);
            return 0;
        }
    }
}
