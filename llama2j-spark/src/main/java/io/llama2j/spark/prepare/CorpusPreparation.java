package io.llama2j.spark.prepare;

import io.llama2j.tokenizer.Tokenizer;
import io.llama2j.train.data.DatasetPreparer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code llama2j prepare} with the tokenization spread over Spark: the driver reads the documents
 * in the order prepare reads them, Spark encodes contiguous slices of them in parallel, and the
 * driver streams the encoded slices back in order ({@code toLocalIterator}, one partition in
 * memory at a time) into {@link DatasetPreparer#write}, the same shard writer prepare uses, so
 * the shards and dataset.json are byte-identical to prepare's. Tokenizing is the expensive part;
 * writing shards is sequential I/O. The driver holds the corpus text (not its tokens): split
 * larger corpora into several runs.
 */
public final class CorpusPreparation {
    /** Documents per Spark partition by default: enough to amortize a task, small enough to balance. */
    public static final int DEFAULT_DOCUMENTS_PER_PARTITION = 2048;

    private static final ConcurrentHashMap<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    private CorpusPreparation() {}

    /**
     * Prepares {@code inputs} into {@code outDir} as {@code new DatasetPreparer(tokenizer,
     * validationFraction, shardTokens).prepare(inputs, outDir)} does; every executor must see
     * {@code tokenizerPath}.
     */
    public static DatasetPreparer.Summary prepare(SparkSession spark, Path tokenizerPath, List<Path> inputs, Path outDir,
                                                  double validationFraction, int shardTokens, int documentsPerPartition)
            throws IOException {
        if (documentsPerPartition < 1) throw new IllegalArgumentException("documents per partition must be at least 1, found " + documentsPerPartition);
        String tokenizerFile = tokenizerPath.toAbsolutePath().normalize().toString();
        // the driver's tokenizer is loaded from the path as given: dataset.json records its source
        DatasetPreparer preparer = new DatasetPreparer(Tokenizer.load(tokenizerPath), validationFraction, shardTokens);
        List<Path> files = DatasetPreparer.expand(inputs);
        List<String> documents = new ArrayList<>();
        for (Path file : files) {
            DatasetPreparer.forEachDocument(file, text -> {
                String stripped = text.strip();
                if (!stripped.isEmpty()) documents.add(stripped);
            });
        }
        int partitions = Math.max(1, (int) Math.ceil(documents.size() / (double) documentsPerPartition));
        // parallelize keeps order: partition k holds a contiguous slice, and toLocalIterator
        // returns partition 0's rows first
        JavaRDD<int[]> encoded = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(documents, partitions)
                .mapPartitions(texts -> encode(tokenizerFile, texts));
        return preparer.write(inputs, files, outDir, sink -> encoded.toLocalIterator().forEachRemaining(sink));
    }

    private static Iterator<int[]> encode(String tokenizerFile, Iterator<String> texts) {
        Tokenizer tokenizer = tokenizer(tokenizerFile);
        return new Iterator<>() {
            @Override public boolean hasNext() { return texts.hasNext(); }

            @Override public int[] next() { return tokenizer.encode(texts.next(), true, false); }
        };
    }

    /** One tokenizer per JVM and file. */
    private static Tokenizer tokenizer(String file) {
        return TOKENIZERS.computeIfAbsent(file, f -> {
            try {
                return Tokenizer.load(Path.of(f));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load tokenizer " + f + ": " + e.getMessage(), e);
            }
        });
    }
}
