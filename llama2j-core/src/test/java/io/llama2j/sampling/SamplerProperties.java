package io.llama2j.sampling;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SamplerProperties {

    static float[] normalized(List<Float> weights) {
        float[] p = new float[weights.size()];
        float sum = 0;
        for (float w : weights) sum += w;
        for (int i = 0; i < p.length; i++) p[i] = weights.get(i) / sum;
        return p;
    }

    @Property(tries = 300)
    void topPKeepsTheMostLikelyTokensUntilTheMassBeforeExceedsP(
            @ForAll @Size(min = 1, max = 40) List<@FloatRange(min = 0.01f, max = 1f) Float> weights,
            @ForAll @FloatRange(min = 0.05f, max = 0.99f) float topP) {
        float[] original = normalized(weights);
        float[] kept = original.clone();
        new Sampler(SamplerConfig.greedy().withTemperature(1f).withTopP(topP), kept.length).keepMostLikely(kept);
        float keptMass = 0, sum = 0, smallestKept = 1;
        for (int i = 0; i < kept.length; i++) {
            sum += kept[i];
            if (kept[i] > 0) {
                keptMass += original[i];
                smallestKept = Math.min(smallestKept, original[i]);
            }
        }
        assertThat(sum).isCloseTo(1f, within(1e-4f));
        // the last kept token had at most topP of the mass before it
        assertThat(keptMass - smallestKept).isLessThanOrEqualTo(topP + 1e-5f);
        for (int i = 0; i < kept.length; i++) {
            // what is kept is more likely than what is dropped
            for (int j = 0; j < kept.length; j++) {
                if (kept[i] > 0 && kept[j] == 0) assertThat(original[i]).isGreaterThanOrEqualTo(original[j]);
            }
            // a dropped token had more than topP of the mass before it
            if (kept[i] == 0) assertThat(keptMass).isGreaterThan(topP - 1e-5f);
        }
    }

    @Property(tries = 200)
    void topKKeepsExactlyMinOfKAndVocabTokens(
            @ForAll @Size(min = 1, max = 40) List<@FloatRange(min = 0.01f, max = 1f) Float> weights,
            @ForAll @IntRange(min = 1, max = 50) int k) {
        float[] p = normalized(weights);
        new Sampler(SamplerConfig.greedy().withTemperature(1f).withTopK(k), p.length).keepMostLikely(p);
        int nonZero = 0;
        for (float v : p) if (v > 0) nonZero++;
        assertThat(nonZero).isEqualTo(Math.min(k, p.length));
    }
}
