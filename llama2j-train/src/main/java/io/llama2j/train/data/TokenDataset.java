package io.llama2j.train.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * One split (train or val) of a prepared data folder: its shards, named {@code SPLIT-NNNNN.bin}.
 * A window of tokens is drawn inside one shard.
 */
public final class TokenDataset implements AutoCloseable {
    public static final String TRAIN = "train";
    public static final String VALIDATION = "val";

    private final String split;
    private final List<TokenShard> shards;
    private final long[] cumulative; // tokens in shards [0, i]

    private TokenDataset(String split, List<TokenShard> shards) {
        this.split = split;
        this.shards = shards;
        this.cumulative = new long[shards.size()];
        long sum = 0;
        for (int i = 0; i < shards.size(); i++) cumulative[i] = sum += shards.get(i).count();
    }

    /** The shard file name of a split's {@code index}-th shard. */
    public static String shardName(String split, int index) { return String.format("%s-%05d.bin", split, index); }

    /** Opens every shard of {@code split} in {@code dir}; an IOException when there is none. */
    public static TokenDataset open(Path dir, String split) throws IOException {
        if (!Files.isDirectory(dir)) throw new IOException(dir + ": data folder not found (make one with llama2j prepare)");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().matches(split + "-\\d{5}\\.bin")).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IOException(dir + ": no " + split + " shards (" + shardName(split, 0) + "...); make them with llama2j prepare");
        }
        List<TokenShard> shards = new ArrayList<>();
        try {
            for (Path f : files) shards.add(TokenShard.open(f));
        } catch (IOException | RuntimeException e) {
            shards.forEach(TokenShard::close);
            throw e;
        }
        int vocab = shards.getFirst().vocabSize();
        for (TokenShard s : shards) {
            if (s.vocabSize() != vocab) {
                shards.forEach(TokenShard::close);
                throw new IOException(s.path() + ": vocabulary size " + s.vocabSize() + " differs from "
                        + shards.getFirst().path() + "'s " + vocab);
            }
        }
        return new TokenDataset(split, shards);
    }

    public String split() { return split; }

    public int vocabSize() { return shards.getFirst().vocabSize(); }

    public long tokens() { return cumulative[cumulative.length - 1]; }

    List<TokenShard> shards() { return shards; }

    /** Tokens [start, start + n) of the shard holding dataset position {@code start}. */
    void read(int shard, long start, int[] out, int outOffset, int n) {
        TokenShard s = shards.get(shard);
        for (int i = 0; i < n; i++) out[outOffset + i] = s.token(start + i);
    }

    @Override public void close() { shards.forEach(TokenShard::close); }
}
