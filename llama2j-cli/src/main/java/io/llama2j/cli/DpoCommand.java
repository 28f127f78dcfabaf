package io.llama2j.cli;

import io.llama2j.chat.ChatFormat;
import io.llama2j.loading.LoadedModel;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.dpo.DpoLoss;
import io.llama2j.train.dpo.DpoObjective;
import io.llama2j.train.reward.PreferenceTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code llama2j dpo}: Direct Preference Optimization (Rafailov et al. 2023) of a policy on the
 * reward model's preference data, against a frozen copy of the starting model. Writes
 * checkpoint.bin ({@code llama2j export} turns it into a model), log.jsonl and loss.png.
 * Example: {@code llama2j dpo -m sft.gguf --data prefs.jsonl --out dpo/ --beta 0.1}
 */
@Command(name = "dpo", mixinStandardHelpOptions = true,
        description = "Direct Preference Optimization of a policy against its frozen starting point.")
public final class DpoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    PreferenceOptions options;

    @Option(names = "--beta", description = "DPO beta (the DPO paper's 0.1; default ${DEFAULT-VALUE}).")
    double beta = DpoLoss.DEFAULT_BETA;

    @Override
    public Integer call() throws Exception {
        PrintStream err = PreferenceOptions.progress(spec.commandLine().getErr());
        Parallel parallel = options.parallel();
        try (LoadedModel m = options.load()) {
            var split = options.read(new ChatFormat(m.tokenizer()));
            ModelParameters policy = PreferenceOptions.parameters(m);
            ModelParameters reference = PreferenceOptions.parameters(m);
            var config = options.trainingConfig();
            DpoObjective dpo = new DpoObjective(policy, reference, beta, 2 * config.pairsPerBatch(), config.seqLen(), parallel);
            err.printf(Locale.ROOT, "dpo: %,d parameters, beta %s; %d training and %d held-out pairs%n",
                    policy.size(), beta, split.train().size(), split.heldOut().size());
            PreferenceTrainer trainer = new PreferenceTrainer(dpo, config, m.tokenizer().eosId(), parallel, err);
            PreferenceTrainer.Evaluation before = trainer.evaluate(split.heldOut());
            PreferenceTrainer.Result r = trainer.train(split.train(), split.heldOut(), options.out, options.resumeFrom());
            if (r.interrupted()) return 0;
            err.printf(Locale.ROOT, "dpo: %d steps; held-out loss %.4f -> %.4f, implicit-reward accuracy %.3f -> %.3f; wrote %s%n",
                    r.steps(), before.loss(), r.heldOut().loss(), before.accuracy(), r.heldOut().accuracy(), options.out);
            return 0;
        }
    }
}
