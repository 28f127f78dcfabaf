package io.llama2j.tokenizer.train;

import io.llama2j.TestData;
import io.llama2j.tokenizer.SentencePieceModelWriter;
import io.llama2j.tokenizer.SentencePieceTools;
import io.llama2j.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Differential test against SentencePiece 0.1.97's own trainer: a 512-piece tokenizer trained
 * with llama2.c's tok512 options on the first three quarters of the TinyStories sample must
 * have exactly spm_train's pieces and scores, load in spm_encode, and encode and decode the
 * held-out quarter exactly as spm_train's model does, and exactly as our {@link Tokenizer} does.
 */
class BpeTrainerVsSentencePieceTest {
    private static final int VOCAB_SIZE = 512;

    @TempDir
    static Path dir;
    private static Path ours;
    private static Path theirs;
    private static String heldOut;

    @BeforeAll
    static void trainBoth() throws Exception {
        List<String> lines = Files.readAllLines(TestData.file("datasets/tinystories-valid-head.txt"));
        int split = lines.size() * 3 / 4;
        Path training = dir.resolve("train.txt");
        Files.write(training, lines.subList(0, split));
        heldOut = String.join("\n", lines.subList(split, lines.size())) + "\n";

        BpeTrainerConfig config = BpeTrainerConfig.llama2c(VOCAB_SIZE);
        TrainedVocabulary vocabulary = new BpeTrainer(config).train(List.of(training));
        ours = dir.resolve("ours.model");
        SentencePieceModelWriter.write(ours, vocabulary.vocabulary(), config.trainerSpec(List.of(training.toString())));

        // The options of llama2.c tinystories.py train_vocab (num_threads does not change the result).
        SentencePieceTools.run("", "spm_train", "--input=" + training, "--model_prefix=" + dir.resolve("spm"),
                "--model_type=bpe", "--vocab_size=" + VOCAB_SIZE, "--self_test_sample_size=0",
                "--input_format=text", "--character_coverage=1.0", "--num_threads=1", "--split_digits=true",
                "--allow_whitespace_only_pieces=true", "--byte_fallback=true", "--normalization_rule_name=identity");
        theirs = dir.resolve("spm.model");
    }

    @Test
    void vocabularyAndScoresEqualSentencePiecesTrainer() throws Exception {
        String ourVocab = SentencePieceTools.run("", "spm_export_vocab", "--model=" + ours);
        String theirVocab = SentencePieceTools.run("", "spm_export_vocab", "--model=" + theirs);
        assertThat(ourVocab.lines().count()).isEqualTo(VOCAB_SIZE);
        assertThat(ourVocab).isEqualTo(theirVocab);
    }

    @Test
    void heldOutTextEncodesToTheSameIdsWithBothModels() throws Exception {
        String ourIds = SentencePieceTools.run(heldOut, "spm_encode", "--model=" + ours, "--output_format=id");
        String theirIds = SentencePieceTools.run(heldOut, "spm_encode", "--model=" + theirs, "--output_format=id");
        assertThat(ourIds.lines().count()).isEqualTo(heldOut.lines().count());
        assertThat(ourIds).isEqualTo(theirIds);
    }

    @Test
    void encodedPiecesComeFromTheWrittenVocabularyAndDecodeBackToTheText() throws Exception {
        List<String> vocabulary = SentencePieceTools.run("", "spm_export_vocab", "--model=" + ours).lines()
                .map(line -> line.substring(0, line.indexOf('\t'))).toList();
        String pieces = SentencePieceTools.run(heldOut, "spm_encode", "--model=" + ours, "--output_format=piece");
        assertThat(pieces.lines().flatMap(line -> List.of(line.split(" ")).stream()).filter(p -> !p.isEmpty()))
                .allSatisfy(piece -> assertThat(vocabulary).contains(piece));

        String ids = SentencePieceTools.run(heldOut, "spm_encode", "--model=" + ours, "--output_format=id");
        String decoded = SentencePieceTools.run(ids, "spm_decode", "--model=" + ours, "--input_format=id");
        // remove_extra_whitespaces: the model sees each line trimmed, with runs of spaces collapsed.
        String normalized = heldOut.lines().map(line -> line.replaceAll("^ +| +$", "").replaceAll(" +", " "))
                .reduce("", (a, b) -> a + b + "\n");
        assertThat(decoded).isEqualTo(normalized);
    }

    @Test
    void ourTokenizerEncodesTheHeldOutTextAsSentencePieceDoes() throws Exception {
        Tokenizer tokenizer = Tokenizer.load(ours);
        List<String> lines = heldOut.lines().toList();
        List<String> expected = SentencePieceTools.run(heldOut, "spm_encode", "--model=" + ours, "--output_format=id")
                .lines().toList();
        assertThat(expected).hasSameSizeAs(lines);
        long tokens = 0;
        for (int i = 0; i < lines.size(); i++) {
            int[] ids = tokenizer.encode(lines.get(i), false, false);
            tokens += ids.length;
            String actual = java.util.Arrays.stream(ids).mapToObj(Integer::toString)
                    .collect(java.util.stream.Collectors.joining(" "));
            assertThat(actual).as("line %d: %s", i, lines.get(i)).isEqualTo(expected.get(i));
        }
        assertThat(tokens).isPositive();
    }
}
