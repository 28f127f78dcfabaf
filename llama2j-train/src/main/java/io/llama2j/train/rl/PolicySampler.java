package io.llama2j.train.rl;

import io.llama2j.tensor.Parallel;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.TokenBatch;
import io.llama2j.train.TrainingModel;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Samples responses from a policy with the training forward (temperature 1, every row of a batch
 * at once, each after its own prompt), ending each at EOS or after {@code responseLength}
 * tokens, and reads the per-token log-probs of the policy and of the frozen reference on them:
 * PPO's rollouts and the sampled KL(π ‖ π_ref) of an evaluation both come from here.
 */
public final class PolicySampler {
    private final ModelParameters policy;
    private final TrainingModel policyModel, referenceModel;
    private final int rows, maxPromptLength, responseLength, seqLen, eosId;

    /**
     * @param eosId the token that ends a response (it is part of the response), or −1 when every
     *              response runs to {@code responseLength}
     */
    public PolicySampler(ModelParameters policy, ModelParameters reference, int rows, int maxPromptLength, int responseLength,
                         int eosId, Parallel parallel) {
        if (maxPromptLength <= 0 || responseLength <= 0) {
            throw new IllegalArgumentException("prompt and response lengths must be positive, found " + maxPromptLength + " and " + responseLength);
        }
        if (eosId < -1 || eosId >= policy.config().vocabSize()) {
            throw new IllegalArgumentException("EOS id " + eosId + " is outside the vocabulary of " + policy.config().vocabSize());
        }
        if (!policy.config().equals(reference.config())) {
            throw new IllegalArgumentException("policy " + policy.config() + " and reference " + reference.config() + " differ in shape");
        }
        this.policy = policy;
        this.rows = rows;
        this.maxPromptLength = maxPromptLength;
        this.responseLength = responseLength;
        this.seqLen = maxPromptLength + responseLength;
        this.eosId = eosId;
        this.policyModel = new TrainingModel(policy, rows, seqLen, parallel);
        this.referenceModel = new TrainingModel(reference, rows, seqLen, parallel);
    }

    public int rows() { return rows; }

    public int seqLen() { return seqLen; }

    /**
     * Generated responses, row-major [rows, seqLen] like a training batch: the mask covers exactly
     * each row's response tokens (targets at the positions before them), and the log-probs are
     * read at the same positions. {@code responses[r]} ends with EOS when {@code endedAtEos[r]}.
     */
    public record Samples(TokenBatch tokens, int[] promptLengths, int[][] responses, boolean[] endedAtEos, float[] logProbs,
                          float[] referenceLogProbs) {
        /** The response of row r without its EOS: what a reward reads. */
        public int[] answer(int r) {
            return endedAtEos[r] ? Arrays.copyOf(responses[r], responses[r].length - 1) : responses[r];
        }

        /** Σ over row r's response tokens of log π − log π_ref: a sample of KL(π ‖ π_ref) for the sequence, in nats. */
        public double logRatio(int r) {
            int seq = tokens.seqLen(), first = promptLengths[r] - 1;
            double sum = 0;
            for (int i = 0; i < responses[r].length; i++) sum += logProbs[r * seq + first + i] - referenceLogProbs[r * seq + first + i];
            return sum;
        }
    }

    public Samples sample(int[][] prompts, SplittableRandom random) {
        int vocab = policy.config().vocabSize();
        if (prompts.length != rows) throw new IllegalArgumentException("the sampler takes " + rows + " prompts, found " + prompts.length);
        int[] inputs = new int[rows * seqLen], targets = new int[rows * seqLen];
        float[] mask = new float[rows * seqLen];
        int[] lengths = new int[rows], generated = new int[rows];
        boolean[] endedAtEos = new boolean[rows];
        for (int r = 0; r < rows; r++) {
            lengths[r] = prompts[r].length;
            if (lengths[r] == 0 || lengths[r] > maxPromptLength) {
                throw new IllegalArgumentException("prompt " + r + " has " + lengths[r] + " tokens, the sampler was planned for 1 to " + maxPromptLength);
            }
            System.arraycopy(prompts[r], 0, inputs, r * seqLen, lengths[r]);
        }
        // A row's padding comes after its tokens, and attention is causal, so it never reaches them
        for (int i = 0, active = rows; i < responseLength && active > 0; i++) {
            float[] logits = policyModel.logits(new TokenBatch(rows, seqLen, inputs, targets, mask));
            for (int r = 0; r < rows; r++) {
                if (endedAtEos[r]) continue;
                int t = r * seqLen + lengths[r] + i;
                inputs[t] = sample(logits, (t - 1) * vocab, vocab, random);
                generated[r]++;
                if (inputs[t] == eosId) {
                    endedAtEos[r] = true;
                    active--;
                }
            }
        }
        int[][] responses = new int[rows][];
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t + 1 < seqLen; t++) {
                targets[r * seqLen + t] = inputs[r * seqLen + t + 1];
                mask[r * seqLen + t] = t + 1 >= lengths[r] && t + 1 < lengths[r] + generated[r] ? 1f : 0f;
            }
            responses[r] = Arrays.copyOfRange(inputs, r * seqLen + lengths[r], r * seqLen + lengths[r] + generated[r]);
        }
        TokenBatch tokens = new TokenBatch(rows, seqLen, inputs, targets, mask);
        float[] logProbs = new float[rows * seqLen], referenceLogProbs = new float[rows * seqLen];
        policyModel.tokenLogProbs(tokens, logProbs);
        referenceModel.tokenLogProbs(tokens, referenceLogProbs);
        return new Samples(tokens, lengths, responses, endedAtEos, logProbs, referenceLogProbs);
    }

    /** A token drawn from softmax(logits[offset ..< offset + vocab]) (temperature 1). */
    private static int sample(float[] logits, int offset, int vocab, SplittableRandom random) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[offset + i]);
        double sum = 0;
        double[] p = new double[vocab];
        for (int i = 0; i < vocab; i++) sum += p[i] = Math.exp(logits[offset + i] - max);
        double u = random.nextDouble() * sum;
        for (int i = 0; i < vocab; i++) {
            u -= p[i];
            if (u <= 0) return i;
        }
        return vocab - 1;
    }
}
