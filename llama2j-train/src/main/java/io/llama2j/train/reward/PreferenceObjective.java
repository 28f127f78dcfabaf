package io.llama2j.train.reward;

import io.llama2j.train.ModelParameters;

/**
 * What {@link PreferenceTrainer} optimises on preference pairs: the reward model's ranking loss
 * ({@link RewardObjective}) or DPO ({@link io.llama2j.train.dpo.DpoObjective}). Both read a
 * {@link PreferenceBatch} and score each pair by a margin that is positive when the chosen
 * response wins, so one loop, one log and one accuracy table serve both.
 */
public interface PreferenceObjective {
    /** Per pair of a batch: its loss and its margin (positive: the chosen response is preferred). */
    record PairResults(double[] losses, double[] margins) {}

    /** "reward" or "dpo": names the run in logs and plots. */
    String name();

    /** The backbone being trained. */
    ModelParameters parameters();

    /** The trained scalar head, or null when there is none. */
    ScalarHead head();

    /** Sequences per micro-batch (2 per pair) and their length. */
    int rows();

    int seqLen();

    /** Adds scale · ∇ Σ_pairs weight · loss to the gradients. */
    PairResults forwardBackward(PreferenceBatch batch, double scale);

    /** Losses and margins without gradients. */
    PairResults evaluate(PreferenceBatch batch);
}
