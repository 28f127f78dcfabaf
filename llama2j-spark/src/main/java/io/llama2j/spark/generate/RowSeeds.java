package io.llama2j.spark.generate;

import java.nio.charset.StandardCharsets;

/**
 * The sampling seed of a row, independent of partitioning: a row's explicit {@code seed} column
 * when present, otherwise {@code splitmix64(jobSeed XOR fnv1a64(utf8(id)))}. The row id and the
 * job seed are all it depends on, so the same row gets the same tokens whichever partition,
 * executor or task attempt decodes it. FNV-1a (Fowler–Noll–Vo) spreads ids; SplitMix64's
 * finalizer (Steele et al., "Fast splittable pseudorandom number generators", 2014) decorrelates
 * neighbouring job seeds.
 */
public final class RowSeeds {
    private static final long FNV_OFFSET_BASIS = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private RowSeeds() {}

    /** The derived seed of row {@code id} in a job seeded with {@code jobSeed}. */
    public static long derive(long jobSeed, String id) {
        long hash = FNV_OFFSET_BASIS;
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= FNV_PRIME;
        }
        return splitMix64(jobSeed ^ hash);
    }

    static long splitMix64(long x) {
        long z = x + 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
