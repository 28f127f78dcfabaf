package io.llama2j.train.reward;

import io.llama2j.train.ModelParameters;

/** The reward model's ranking loss −log σ(r_c − r_r − m(rating)) (Llama 2 eq. 2) as a {@link PreferenceObjective}. */
public final class RewardObjective implements PreferenceObjective {
    private final RewardModel model;
    private final MarginTable margins;

    public RewardObjective(RewardModel model, MarginTable margins) {
        this.model = model;
        this.margins = margins;
    }

    @Override public String name() { return "reward"; }

    @Override public ModelParameters parameters() { return model.backbone(); }

    @Override public ScalarHead head() { return model.head(); }

    @Override public int rows() { return model.rows(); }

    @Override public int seqLen() { return model.seqLen(); }

    @Override
    public PairResults forwardBackward(PreferenceBatch batch, double scale) {
        int pairs = batch.pairCount();
        double[][] results = new double[2][];
        model.forwardBackward(batch.tokens(), batch.lastPositions(), scores -> {
            results[0] = scores;
            double[] d = new double[scores.length];
            for (int p = 0; p < pairs; p++) {
                double g = batch.weights()[p] * scale * RankingLoss.gradientChosen(scores[p], scores[pairs + p],
                        margins.margin(batch.pairs().get(p).rating()));
                d[p] = g;
                d[pairs + p] = -g;
            }
            return d;
        });
        return results(batch, results[0]);
    }

    @Override
    public PairResults evaluate(PreferenceBatch batch) {
        return results(batch, model.scores(batch.tokens(), batch.lastPositions()));
    }

    private PairResults results(PreferenceBatch batch, double[] scores) {
        int pairs = batch.pairCount();
        double[] losses = new double[pairs], diff = new double[pairs];
        for (int p = 0; p < pairs; p++) {
            diff[p] = scores[p] - scores[pairs + p];
            losses[p] = RankingLoss.loss(scores[p], scores[pairs + p], margins.margin(batch.pairs().get(p).rating()));
        }
        return new PairResults(losses, diff);
    }
}
