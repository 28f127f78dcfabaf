package io.llama2j.train.reward;

import io.llama2j.tensor.Parallel;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.TokenBatch;
import io.llama2j.train.TrainingModel;

import java.util.SplittableRandom;

/**
 * A reward model (Llama 2 paper §3.2.2): the Llama backbone with the next-token head replaced by
 * a scalar regression head, r = w · h_last + b, read at the last token of prompt + response
 * (HF's LlamaForSequenceClassification does the same). The backbone's own output matrix is
 * kept but unused and gets no gradient.
 */
public final class RewardModel {
    /** Std of the head's initial weights (HF initializer_range 0.02); the bias starts at 0. */
    public static final double HEAD_INIT_STD = 0.02;

    private final ModelParameters backbone;
    private final ScalarHead head;
    private final TrainingModel model;

    public RewardModel(ModelParameters backbone, ScalarHead head, int rows, int seqLen, Parallel parallel) {
        if (head.dim() != backbone.config().dim()) {
            throw new IllegalArgumentException("scalar head of width " + head.dim() + " on a backbone of dim " + backbone.config().dim());
        }
        this.backbone = backbone;
        this.head = head;
        this.model = new TrainingModel(backbone, rows, seqLen, parallel);
    }

    /** A fresh head for {@code backbone}: N(0, 0.02²) weights, zero bias. */
    public static ScalarHead freshHead(int dim, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] w = new float[dim + 1];
        for (int i = 0; i < dim; i++) w[i] = (float) (HEAD_INIT_STD * random.nextGaussian());
        return new ScalarHead(w);
    }

    public ModelParameters backbone() { return backbone; }

    public ScalarHead head() { return head; }

    public int rows() { return model.batch(); }

    public int seqLen() { return model.seqLen(); }

    /**
     * The score of one prompt + response ({@code ids}, at most {@link #seqLen()} tokens), read at
     * its last token: the sequence is row 0, any other rows and the positions after its end are
     * padding, which does not change the score (attention is causal).
     */
    public double score(int[] ids) {
        if (ids.length < 1 || ids.length > seqLen()) {
            throw new IllegalArgumentException("a sequence of " + ids.length + " tokens does not fit the reward model's plan of 1.."
                    + seqLen());
        }
        int n = rows() * seqLen();
        int[] inputs = new int[n];
        System.arraycopy(ids, 0, inputs, 0, ids.length);
        int[] lastPositions = new int[rows()];
        lastPositions[0] = ids.length - 1;
        return scores(new TokenBatch(rows(), seqLen(), inputs, new int[n], new float[n]), lastPositions)[0];
    }

    /** The score of every row, read at its last position. */
    public double[] scores(TokenBatch batch, int[] lastPositions) {
        return scoresOf(model.finalHidden(batch), batch, lastPositions);
    }

    private double[] scoresOf(float[] hidden, TokenBatch batch, int[] lastPositions) {
        int dim = head.dim();
        double[] scores = new double[batch.batch()];
        for (int r = 0; r < scores.length; r++) {
            scores[r] = head.apply(hidden, (r * batch.seqLen() + position(lastPositions[r], batch)) * dim);
        }
        return scores;
    }

    /**
     * Forward, then adds the gradients of a loss whose derivative with respect to each row's
     * score is {@code lossGradient.apply(scores)[row]} to the backbone's and the head's
     * gradients. Returns the scores.
     */
    public double[] forwardBackward(TokenBatch batch, int[] lastPositions, java.util.function.Function<double[], double[]> lossGradient) {
        float[] hidden = model.finalHidden(batch);
        double[] scores = scoresOf(hidden, batch, lastPositions);
        double[] dScores = lossGradient.apply(scores);
        int dim = head.dim();
        float[] dHidden = new float[batch.tokens() * dim];
        for (int r = 0; r < scores.length; r++) {
            if (dScores[r] == 0) continue;
            int at = (r * batch.seqLen() + position(lastPositions[r], batch)) * dim;
            head.backward(hidden, at, dScores[r], dHidden, at);
        }
        model.backwardFromFinalHidden(batch, dHidden);
        return scores;
    }

    /** The head applied at every position (N): a value model's V(s_t) for PPO. */
    public double[] positionScores(TokenBatch batch) {
        float[] hidden = model.finalHidden(batch);
        double[] scores = new double[batch.tokens()];
        for (int t = 0; t < scores.length; t++) scores[t] = head.apply(hidden, t * head.dim());
        return scores;
    }

    /**
     * {@link #positionScores}, then adds the gradients of a loss with dL/dV_t =
     * {@code lossGradient.apply(values)[t]}. Returns the values.
     */
    public double[] positionForwardBackward(TokenBatch batch, java.util.function.Function<double[], double[]> lossGradient) {
        float[] hidden = model.finalHidden(batch);
        int dim = head.dim();
        double[] values = new double[batch.tokens()];
        for (int t = 0; t < values.length; t++) values[t] = head.apply(hidden, t * dim);
        double[] dValues = lossGradient.apply(values);
        float[] dHidden = new float[batch.tokens() * dim];
        for (int t = 0; t < values.length; t++) {
            if (dValues[t] != 0) head.backward(hidden, t * dim, dValues[t], dHidden, t * dim);
        }
        model.backwardFromFinalHidden(batch, dHidden);
        return values;
    }

    private static int position(int last, TokenBatch batch) {
        if (last < 0 || last >= batch.seqLen()) {
            throw new IllegalArgumentException("last position " + last + " outside a row of " + batch.seqLen() + " tokens");
        }
        return last;
    }
}
