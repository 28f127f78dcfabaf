package io.llama2j.tokenizer.train;

import io.llama2j.tokenizer.SentencePieceTools;
import io.llama2j.tokenizer.Vocabulary;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On random small texts built to hit the corner cases (runs like "aaaa", digits, punctuation
 * next to letters, two scripts, repeated and trailing spaces, tabs, a meta piece "&lt;s&gt;"), the
 * trainer learns exactly the pieces and scores SentencePiece's spm_train learns with the same
 * options, for as many merges as the text allows.
 */
class BpeTrainerMatchesSentencePieceProperties {
    private static final Pattern LARGEST_VOCABULARY = Pattern.compile("vocab size of at most (\\d+)");
    /** More merged pieces plus characters than any of these texts allows. */
    private static final int MANY_PIECES = 200;

    @Provide
    Arbitrary<List<String>> texts() {
        Arbitrary<String> word = Arbitraries.of("a", "b", "ab", "aa", "aaa", "aaaa", "ba", "bab", "c", "1", "7",
                "12", ".", "!", "a.", "é", "λ", "λa", "<s>", "\t", "a\tb").list().ofMinSize(1).ofMaxSize(4)
                .map(parts -> String.join("", parts));
        Arbitrary<String> separator = Arbitraries.of(" ", " ", " ", "  ");
        Arbitrary<String> line = Arbitraries.lazy(() -> word.list().ofMinSize(1).ofMaxSize(8)
                .flatMap(words -> separator.list().ofSize(words.size()).map(seps -> {
                    StringBuilder sb = new StringBuilder();
                    for (int i = 0; i < words.size(); i++) {
                        sb.append(words.get(i)).append(i + 1 < words.size() ? seps.get(i) : "");
                    }
                    return sb.toString();
                })));
        return line.list().ofMinSize(1).ofMaxSize(12);
    }

    @Property(tries = 25)
    void learnsTheSamePiecesAndScoresAsSpmTrain(@ForAll("texts") List<String> lines) throws Exception {
        assertSameAsSpmTrain(String.join("\n", lines).getBytes(StandardCharsets.UTF_8));
    }

    @Example
    void malformedUtf8ReservedCharactersAndOverlongLinesAreHandledAsSpmTrainDoes() throws Exception {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        byte[] malformed = {'c', 'a', 'f', (byte) 0xE9, ' ', (byte) 0xFF, (byte) 0xFE, ' ', 'a', 'b', (byte) 0xC0,
                (byte) 0xAF, 'a', 'b', ' ', (byte) 0xED, (byte) 0xA0, (byte) 0x80, ' ', (byte) 0xF4, (byte) 0x90,
                (byte) 0x80, (byte) 0x80, ' ', 'c', 'a', 'f', (byte) 0xC3, (byte) 0xA9, '\n'};
        for (int i = 0; i < 3; i++) {
            text.writeBytes(malformed);
            text.writeBytes("café \uFFFD ab ab\n".getBytes(StandardCharsets.UTF_8));
        }
        text.writeBytes("ab \u2585 reserved: this line is skipped\n".getBytes(StandardCharsets.UTF_8));
        text.writeBytes(("zq ".repeat(2000) + "\n").getBytes(StandardCharsets.UTF_8)); // over 4192 bytes: skipped
        text.writeBytes("last line without a line break".getBytes(StandardCharsets.UTF_8));
        assertSameAsSpmTrain(text.toByteArray());
    }

    private static void assertSameAsSpmTrain(byte[] content) throws Exception {
        SentencePieceTools.tool("spm_train");
        Path dir = Files.createTempDirectory("bpe-property");
        try {
            Path text = dir.resolve("text.txt");
            Files.write(text, content);
            // Ask for many merges; if the text allows fewer, the trainer says how large it can go.
            int vocabSize = BpeTrainerConfig.SPECIAL_PIECES + BpeTrainerConfig.BYTE_PIECES + MANY_PIECES;
            Vocabulary ours;
            try {
                ours = new BpeTrainer(BpeTrainerConfig.llama2c(vocabSize)).train(List.of(text)).vocabulary();
            } catch (IllegalArgumentException e) {
                Matcher m = LARGEST_VOCABULARY.matcher(e.getMessage());
                if (!m.find()) {
                    throw e;
                }
                vocabSize = Integer.parseInt(m.group(1));
                ours = new BpeTrainer(BpeTrainerConfig.llama2c(vocabSize)).train(List.of(text)).vocabulary();
            }
            SentencePieceTools.run("", "spm_train", "--input=" + text, "--model_prefix=" + dir.resolve("spm"),
                    "--model_type=bpe", "--vocab_size=" + vocabSize, "--self_test_sample_size=0",
                    "--character_coverage=1.0", "--num_threads=1", "--split_digits=true",
                    "--allow_whitespace_only_pieces=true", "--byte_fallback=true",
                    "--normalization_rule_name=identity");
            List<String> theirs = SentencePieceTools.run("", "spm_export_vocab",
                    "--model=" + dir.resolve("spm.model")).lines().toList();
            assertThat(theirs).hasSize(ours.size());
            for (int id = 0; id < ours.size(); id++) {
                String[] cols = theirs.get(id).split("\t");
                assertThat(ours.pieces()[id]).as("piece %d", id).isEqualTo(cols[0]);
                assertThat(ours.scores()[id]).as("score of %s", cols[0]).isEqualTo(Float.parseFloat(cols[1]));
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }
}
