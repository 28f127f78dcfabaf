package io.llama2j.train.dpo;

import io.llama2j.tensor.Parallel;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.TokenBatch;
import io.llama2j.train.TrainingModel;
import io.llama2j.train.reward.PreferenceBatch;
import io.llama2j.train.reward.PreferenceObjective;
import io.llama2j.train.reward.ScalarHead;

/**
 * DPO (Rafailov et al. 2023) as a {@link PreferenceObjective}: the policy and a frozen reference
 * score each response by Σ log π(y_t | x, y_&lt;t) over its tokens (the batch's mask), and the
 * policy follows ∇ of −log σ(β [(π_c − ref_c) − (π_r − ref_r)]). The margin reported per pair is
 * the implicit reward difference β z (positive: the chosen response is preferred).
 */
public final class DpoObjective implements PreferenceObjective {
    private final ModelParameters policy;
    private final TrainingModel policyModel;
    private final TrainingModel referenceModel;
    private final double beta;
    private final float[] policyLogProbs, referenceLogProbs;

    /** {@code reference} must not be trained (a copy of the initial policy). */
    public DpoObjective(ModelParameters policy, ModelParameters reference, double beta, int rows, int seqLen, Parallel parallel) {
        if (!(beta > 0)) throw new IllegalArgumentException("DPO beta must be > 0, found " + beta);
        if (policy == reference) throw new IllegalArgumentException("the DPO reference must be a separate, frozen copy of the policy");
        if (!policy.config().equals(reference.config())) {
            throw new IllegalArgumentException("policy " + policy.config() + " and reference " + reference.config() + " differ in shape");
        }
        this.policy = policy;
        this.policyModel = new TrainingModel(policy, rows, seqLen, parallel);
        this.referenceModel = new TrainingModel(reference, rows, seqLen, parallel);
        this.beta = beta;
        this.policyLogProbs = new float[rows * seqLen];
        this.referenceLogProbs = new float[rows * seqLen];
    }

    @Override public String name() { return "dpo"; }

    @Override public ModelParameters parameters() { return policy; }

    @Override public ScalarHead head() { return null; }

    @Override public int rows() { return policyModel.batch(); }

    @Override public int seqLen() { return policyModel.seqLen(); }

    @Override
    public PairResults forwardBackward(PreferenceBatch batch, double scale) {
        TokenBatch tokens = batch.tokens();
        referenceModel.tokenLogProbs(tokens, referenceLogProbs);
        policyModel.tokenLogProbs(tokens, policyLogProbs);
        PairResults results = results(batch);
        int pairs = batch.pairCount(), seq = tokens.seqLen();
        float[] dLogProbs = new float[tokens.tokens()];
        double[] sums = sequenceSums(batch);
        for (int p = 0; p < pairs; p++) {
            double g = batch.weights()[p] * scale * DpoLoss.gradientChosen(sums[p], sums[2 * pairs + p],
                    sums[pairs + p], sums[3 * pairs + p], beta);
            for (int t = 0; t < seq; t++) {
                dLogProbs[p * seq + t] = (float) (g * tokens.mask()[p * seq + t]);
                dLogProbs[(pairs + p) * seq + t] = (float) (-g * tokens.mask()[(pairs + p) * seq + t]);
            }
        }
        policyModel.backwardFromLogProbs(tokens, dLogProbs);
        return results;
    }

    @Override
    public PairResults evaluate(PreferenceBatch batch) {
        referenceModel.tokenLogProbs(batch.tokens(), referenceLogProbs);
        policyModel.tokenLogProbs(batch.tokens(), policyLogProbs);
        return results(batch);
    }

    /** Per row, Σ mask · log π: policy rows 0..2P−1, then reference rows 2P..4P−1. */
    private double[] sequenceSums(PreferenceBatch batch) {
        TokenBatch tokens = batch.tokens();
        int rows = tokens.batch(), seq = tokens.seqLen();
        double[] sums = new double[2 * rows];
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < seq; t++) {
                float m = tokens.mask()[r * seq + t];
                sums[r] += m * policyLogProbs[r * seq + t];
                sums[rows + r] += m * referenceLogProbs[r * seq + t];
            }
        }
        return sums;
    }

    private PairResults results(PreferenceBatch batch) {
        int pairs = batch.pairCount();
        double[] sums = sequenceSums(batch);
        double[] losses = new double[pairs], margins = new double[pairs];
        for (int p = 0; p < pairs; p++) {
            double pc = sums[p], pr = sums[pairs + p], rc = sums[2 * pairs + p], rr = sums[3 * pairs + p];
            losses[p] = DpoLoss.loss(pc, rc, pr, rr, beta);
            margins[p] = DpoLoss.margin(pc, rc, pr, rr, beta);
        }
        return new PairResults(losses, margins);
    }
}
