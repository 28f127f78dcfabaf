package io.llama2j.sampling;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class SamplerTest {

    /** Logits whose softmax at temperature 1 is exactly {@code probs} (up to float rounding). */
    static float[] logitsOf(double... probs) {
        float[] l = new float[probs.length];
        for (int i = 0; i < probs.length; i++) l[i] = probs[i] == 0 ? -1e9f : (float) Math.log(probs[i]);
        return l;
    }

    static Set<Integer> tokensDrawn(SamplerConfig config, float[] logits, int draws) {
        Sampler s = new Sampler(config, logits.length);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < draws; i++) seen.add(s.sample(logits.clone(), new int[0], 0));
        return seen;
    }

    static float[] keptDistribution(SamplerConfig config, double... probs) {
        Sampler s = new Sampler(config, probs.length);
        float[] p = new float[probs.length];
        for (int i = 0; i < p.length; i++) p[i] = (float) probs[i];
        s.keepMostLikely(p);
        return p;
    }

    final SamplerConfig sampling = SamplerConfig.greedy().withTemperature(1f).withSeed(42);

    @Test
    void greedyPicksTheLargestLogitAndTheLowestIdOnTies() {
        Sampler s = new Sampler(SamplerConfig.greedy(), 5);
        assertThat(s.sample(new float[]{0.1f, 3f, -2f, 3f, 2.9f}, new int[0], 0)).isEqualTo(1);
    }

    @Test
    void theSameSeedGivesTheSameTokensAndAnotherSeedOtherTokens() {
        float[] logits = logitsOf(0.1, 0.2, 0.3, 0.15, 0.25);
        int[] a = new int[50], b = new int[50], c = new int[50];
        Sampler sa = new Sampler(sampling, 5), sb = new Sampler(sampling, 5), sc = new Sampler(sampling.withSeed(43), 5);
        for (int i = 0; i < 50; i++) {
            a[i] = sa.sample(logits.clone(), new int[0], 0);
            b[i] = sb.sample(logits.clone(), new int[0], 0);
            c[i] = sc.sample(logits.clone(), new int[0], 0);
        }
        assertThat(a).containsExactly(b);
        assertThat(a).isNotEqualTo(c);
    }

    @Test
    void drawsFollowTheDistribution() {
        float[] logits = logitsOf(0.1, 0.6, 0.3);
        Sampler s = new Sampler(sampling, 3);
        int[] counts = new int[3];
        int n = 20000;
        for (int i = 0; i < n; i++) counts[s.sample(logits.clone(), new int[0], 0)]++;
        assertThat(counts[0] / (double) n).isCloseTo(0.1, within(0.015));
        assertThat(counts[1] / (double) n).isCloseTo(0.6, within(0.015));
        assertThat(counts[2] / (double) n).isCloseTo(0.3, within(0.015));
    }

    @Test
    void topKKeepsExactlyTheKMostLikelyTokens() {
        float[] p = keptDistribution(sampling.withTopK(2), 0.1, 0.4, 0.2, 0.3);
        assertThat(p).containsExactly(new float[]{0f, 0.4f / 0.7f, 0f, 0.3f / 0.7f}, within(1e-6f));
    }

    @Test
    void topKBreaksTiesByLowestId() {
        float[] p = keptDistribution(sampling.withTopK(1), 0.25, 0.25, 0.25, 0.25);
        assertThat(p).containsExactly(1f, 0f, 0f, 0f);
    }

    @Test
    void topPFollowsMetaSampleTopP() {
        // sorted 0.5, 0.3, 0.15, 0.05; mass before each: 0, 0.5, 0.8, 0.95. top_p 0.7 keeps those with mass before <= 0.7
        float[] p = keptDistribution(sampling.withTopP(0.7f), 0.15, 0.5, 0.05, 0.3);
        assertThat(p).containsExactly(new float[]{0f, 0.5f / 0.8f, 0f, 0.3f / 0.8f}, within(1e-6f));
        // top_p 0.8: the third token (0.15) has mass 0.8 before it, not > 0.8: kept; the fourth is not
        float[] q = keptDistribution(sampling.withTopP(0.8f), 0.15, 0.5, 0.05, 0.3);
        assertThat(q[0]).isGreaterThan(0f);
        assertThat(q[2]).isZero();
    }

    @Test
    void topPAlwaysKeepsTheMostLikelyToken() {
        float[] p = keptDistribution(sampling.withTopP(0.01f), 0.2, 0.7, 0.1);
        assertThat(p).containsExactly(0f, 1f, 0f);
    }

    @Test
    void minPKeepsTokensAtLeastMinPTimesTheLargestProbability() {
        // largest 0.5; min-p 0.4 -> threshold 0.2: keeps 0.5, 0.25 and 0.2, drops 0.05
        float[] p = keptDistribution(sampling.withMinP(0.4f), 0.2, 0.05, 0.5, 0.25);
        assertThat(p).containsExactly(new float[]{0.2f / 0.95f, 0f, 0.5f / 0.95f, 0.25f / 0.95f}, within(1e-6f));
    }

    @Test
    void filteredTokensAreNeverDrawn() {
        float[] logits = logitsOf(0.3, 0.25, 0.2, 0.15, 0.1);
        assertThat(tokensDrawn(sampling.withTopK(3), logits, 2000)).containsExactlyInAnyOrder(0, 1, 2);
        assertThat(tokensDrawn(sampling.withTopP(0.5f), logits, 2000)).containsExactlyInAnyOrder(0, 1);
        assertThat(tokensDrawn(sampling.withMinP(0.6f), logits, 2000)).containsExactlyInAnyOrder(0, 1, 2);
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfRecentTokensOnly() {
        Sampler s = new Sampler(SamplerConfig.greedy().withPenalties(2f, 0f, 0f, 3), 5);
        float[] logits = {4f, -1f, 2f, 6f, 1f};
        // history: token 4 is outside the window of 3; tokens 0, 1 and 0 again are inside
        s.applyPenalties(logits, new int[]{4, 0, 1, 0}, 4);
        assertThat(logits).containsExactly(2f, -2f, 2f, 6f, 1f);
    }

    @Test
    void frequencyPenaltyCountsOccurrencesAndPresencePenaltyDoesNot() {
        Sampler s = new Sampler(SamplerConfig.greedy().withPenalties(1f, 0.5f, 0.25f, 64), 4);
        float[] logits = {1f, 1f, 1f, 1f};
        s.applyPenalties(logits, new int[]{2, 2, 2, 0}, 4);
        assertThat(logits).containsExactly(1f - 0.5f - 0.25f, 1f, 1f - 3 * 0.5f - 0.25f, 1f);
        // counts are cleared for the next call
        float[] again = {1f, 1f, 1f, 1f};
        s.applyPenalties(again, new int[]{1}, 1);
        assertThat(again).containsExactly(1f, 0.25f, 1f, 1f);
    }

    @Test
    void metaChatDefaultsAreTemperature06AndTopP09() {
        SamplerConfig c = SamplerConfig.metaChat(1);
        assertThat(c.temperature()).isEqualTo(0.6f);
        assertThat(c.topP()).isEqualTo(0.9f);
        assertThat(c.topK()).isZero();
        assertThat(c.repeatPenalty()).isEqualTo(1f);
    }

    @Test
    void outOfRangeSettingsAreRejectedWithTheirName() {
        assertThatThrownBy(() -> SamplerConfig.greedy().withTemperature(-0.1f)).hasMessageContaining("temperature").hasMessageContaining("-0.1");
        assertThatThrownBy(() -> SamplerConfig.greedy().withTemperature(Float.NaN)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> SamplerConfig.greedy().withTopP(0f)).hasMessageContaining("top-p must be in (0, 1]");
        assertThatThrownBy(() -> SamplerConfig.greedy().withTopP(1.5f)).hasMessageContaining("top-p");
        assertThatThrownBy(() -> SamplerConfig.greedy().withTopK(-1)).hasMessageContaining("top-k");
        assertThatThrownBy(() -> SamplerConfig.greedy().withMinP(2f)).hasMessageContaining("min-p");
        assertThatThrownBy(() -> SamplerConfig.greedy().withPenalties(0f, 0f, 0f, 64)).hasMessageContaining("repeat penalty");
        assertThatThrownBy(() -> SamplerConfig.greedy().withPenalties(1f, 0f, 0f, -1)).hasMessageContaining("penalty window");
    }
}
