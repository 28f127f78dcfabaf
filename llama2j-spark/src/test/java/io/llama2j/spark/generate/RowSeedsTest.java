package io.llama2j.spark.generate;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class RowSeedsTest {
    @Property
    void aRowSeedDependsOnlyOnTheJobSeedAndTheId(@ForAll long jobSeed, @ForAll String id) {
        assertThat(RowSeeds.derive(jobSeed, id)).isEqualTo(RowSeeds.derive(jobSeed, new String(id.toCharArray())));
    }

    @Test
    void neighbouringIdsAndJobSeedsGetDistinctSeeds() {
        Set<Long> seeds = new HashSet<>();
        for (long job = 0; job < 10; job++) {
            for (int id = 0; id < 1000; id++) seeds.add(RowSeeds.derive(job, Integer.toString(id)));
        }
        assertThat(seeds).hasSize(10_000);
    }

    @Test
    void theDerivationIsFnv1aThenSplitMix64() {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (FNV reference test vectors); splitmix64(0) is
        // 0xe220a8397b1dcdaf (the first output of Vigna's splitmix64.c seeded with 0)
        assertThat(RowSeeds.splitMix64(0)).isEqualTo(0xe220a8397b1dcdafL);
        assertThat(RowSeeds.derive(0xaf63dc4c8601ec8cL, "a")).isEqualTo(RowSeeds.splitMix64(0));
    }
}
