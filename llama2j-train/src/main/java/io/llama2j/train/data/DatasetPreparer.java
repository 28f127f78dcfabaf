package io.llama2j.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llama2j.tokenizer.Tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code llama2j prepare}: turns text into token shards (llama2.c tinystories.py pretokenize).
 * Each document is stripped and encoded with BOS and without EOS, as llama2.c does, so BOS
 * separates documents in the stream. Documents are the {"text": ...} values of a .jsonl file, or
 * the blank-line-separated paragraphs of a text file. Every k-th document goes to the validation
 * split, spread evenly so that both splits see the same mix (document i is validation when
 * ⌊(i+1)·f⌋ > ⌊i·f⌋ for fraction f).
 *
 * @param validationFraction share of documents held out, in [0, 1)
 * @param shardTokens        maximum tokens per shard file
 */
public record DatasetPreparer(Tokenizer tokenizer, double validationFraction, int shardTokens) {
    /** Shard size: 64M tokens (128 MiB at uint16). */
    public static final int DEFAULT_SHARD_TOKENS = 1 << 26;
    /** The JSONL field that holds a document's text. */
    public static final String TEXT_FIELD = "text";
    public static final String SUMMARY_FILE = "dataset.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    public DatasetPreparer {
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 1), found " + validationFraction);
        }
        if (shardTokens < 2) throw new IllegalArgumentException("shard size must be at least 2 tokens, found " + shardTokens);
    }

    /** What was written. */
    public record Summary(long documents, long trainTokens, long validationTokens, int trainShards, int validationShards) {}

    /** Encodes every input (files, or folders of .txt/.jsonl files) into shards in {@code outDir}. */
    public Summary prepare(List<Path> inputs, Path outDir) throws IOException {
        List<Path> files = expand(inputs);
        return write(inputs, files, outDir, sink -> {
            for (Path file : files) {
                forEachDocument(file, text -> {
                    String stripped = text.strip();
                    if (!stripped.isEmpty()) sink.accept(tokenizer.encode(stripped, true, false));
                });
            }
        });
    }

    /** The encoded documents of a corpus, in corpus order (so that encoding can run elsewhere, e.g. on Spark). */
    @FunctionalInterface
    public interface EncodedDocuments {
        /** Hands each document's ids (stripped, non-empty, encoded with BOS and without EOS) to {@code sink}, in order. */
        void forEach(Consumer<int[]> sink) throws IOException;
    }

    /**
     * Writes the shards and the summary of already-encoded documents: the second half of
     * {@link #prepare}, for callers that encode in parallel. {@code files} are the expanded
     * inputs ({@link #expand}), recorded in the summary.
     */
    public Summary write(List<Path> inputs, List<Path> files, Path outDir, EncodedDocuments encoded) throws IOException {
        Files.createDirectories(outDir);
        ShardSink train = new ShardSink(outDir, TokenDataset.TRAIN);
        ShardSink validation = new ShardSink(outDir, TokenDataset.VALIDATION);
        long[] documents = {0};
        try {
            encoded.forEach(ids -> {
                long i = documents[0]++;
                boolean held = Math.floor((i + 1) * validationFraction) > Math.floor(i * validationFraction);
                try {
                    (held ? validation : train).add(ids);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        train.flush();
        validation.flush();
        if (train.total == 0) throw new IOException("no training text found in " + inputs);
        Summary summary = new Summary(documents[0], train.total, validation.total, train.shards, validation.shards);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("tokenizer", tokenizer.vocabulary().source());
        json.put("vocab_size", tokenizer.vocabSize());
        json.put("documents", summary.documents());
        json.put("train_tokens", summary.trainTokens());
        json.put("val_tokens", summary.validationTokens());
        json.put("val_fraction", validationFraction);
        json.put("inputs", files.stream().map(Path::toString).toList());
        JSON.writerWithDefaultPrettyPrinter().writeValue(outDir.resolve(SUMMARY_FILE).toFile(), json);
        return summary;
    }

    /** The .txt and .jsonl files of {@code inputs} (files, or folders walked in sorted order). */
    public static List<Path> expand(List<Path> inputs) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path p : inputs) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.walk(p)) {
                    s.filter(Files::isRegularFile).filter(f -> isText(f) || isJsonl(f)).sorted().forEach(files::add);
                }
            } else if (Files.isRegularFile(p)) {
                files.add(p);
            } else {
                throw new IOException(p + ": input file or folder not found");
            }
        }
        if (files.isEmpty()) throw new IOException("no .txt or .jsonl files in " + inputs);
        return files;
    }

    private static boolean isJsonl(Path p) { return p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jsonl"); }

    private static boolean isText(Path p) { return p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".txt"); }

    /** Hands each raw document of {@code file} (a JSONL line's "text", or a paragraph of a .txt file) to {@code sink}. */
    public static void forEachDocument(Path file, Consumer<String> sink) throws IOException {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            if (isJsonl(file)) {
                String line;
                int number = 0;
                while ((line = in.readLine()) != null) {
                    number++;
                    if (line.isBlank()) continue;
                    JsonNode node;
                    try {
                        node = JSON.readTree(line);
                    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                        throw new IOException(file + ":" + number + ": not a JSON object: " + e.getOriginalMessage());
                    }
                    JsonNode text = node == null ? null : node.get(TEXT_FIELD);
                    if (text == null || !text.isTextual()) {
                        throw new IOException(file + ":" + number + ": expected an object with a string field \"" + TEXT_FIELD + "\"");
                    }
                    sink.accept(text.asText());
                }
            } else {
                StringBuilder paragraph = new StringBuilder();
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.isBlank()) {
                        if (!paragraph.isEmpty()) sink.accept(paragraph.toString());
                        paragraph.setLength(0);
                    } else {
                        if (!paragraph.isEmpty()) paragraph.append('\n');
                        paragraph.append(line);
                    }
                }
                if (!paragraph.isEmpty()) sink.accept(paragraph.toString());
            }
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Collects one split's tokens and writes a shard whenever shardTokens are buffered. */
    private final class ShardSink {
        final Path dir;
        final String split;
        int[] buffer = new int[1 << 16];
        int size;
        long total;
        int shards;

        ShardSink(Path dir, String split) {
            this.dir = dir;
            this.split = split;
        }

        void add(int[] ids) throws IOException {
            for (int id : ids) {
                if (size == buffer.length) buffer = java.util.Arrays.copyOf(buffer, (int) Math.min((long) buffer.length * 2, shardTokens));
                buffer[size++] = id;
                total++;
                if (size == shardTokens) flush();
            }
        }

        void flush() throws IOException {
            if (size == 0) return;
            TokenShard.write(dir.resolve(TokenDataset.shardName(split, shards++)), tokenizer.vocabSize(), buffer, size);
            size = 0;
        }
    }
}
