package io.llama2j.cli;

import io.llama2j.TestData;
import io.llama2j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class TrainTokenizerCommandTest {

    private record Run(int exitCode, String err) {}

    private static Run run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, err.toString());
    }

    @Test
    void writesAModelOfTheRequestedSizeAndReportsProgressOnStderr(@TempDir Path dir) throws Exception {
        Path text = TestData.file("datasets/tinystories-valid-head.txt");
        Path model = dir.resolve("tok360.model");

        Run result = run("train-tokenizer", "--vocab-size", "360", "--input", text.toString(), "-o", model.toString(),
                "--max-chars", "100000");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.err()).contains("read 9", "merge 41/41", "wrote " + model, "(360 pieces)");
        Tokenizer tokenizer = Tokenizer.load(model);
        assertThat(tokenizer.vocabSize()).isEqualTo(360);
        int[] ids = tokenizer.encode("Once upon a time", true, false);
        assertThat(ids[0]).isEqualTo(tokenizer.bosId());
        assertThat(tokenizer.decode(ids)).isEqualTo("Once upon a time");
    }

    @Test
    void aVocabularySmallerThanSpecialsBytesAndAlphabetIsAClearError(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("t.txt");
        Files.writeString(text, "hello world\n");
        Run result = run("train-tokenizer", "--vocab-size", "262", "--input", text.toString(), "-o",
                dir.resolve("t.model").toString());
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).contains("vocab size 262 is smaller than the 259 special/byte pieces plus the alphabet of 8")
                .doesNotContain("Exception");
    }

    @Test
    void aMissingInputIsNamed(@TempDir Path dir) {
        Run result = run("train-tokenizer", "--vocab-size", "512", "--input", dir.resolve("missing.txt").toString(),
                "-o", dir.resolve("t.model").toString());
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).contains("missing.txt", "input text not found");
    }

    @Test
    void withoutInputPicocliExplainsTheMissingOption(@TempDir Path dir) {
        Run result = run("train-tokenizer", "--vocab-size", "512", "-o", dir.resolve("t.model").toString());
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("Missing required option: '--input=FILE'");
    }

    @Test
    void aVocabSizeBelowTheSpecialPiecesIsRejected(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("t.txt");
        Files.writeString(text, "hello\n");
        Run result = run("train-tokenizer", "--vocab-size", "100", "--input", text.toString(), "-o",
                dir.resolve("t.model").toString());
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).contains("vocab size 100 is too small");
    }
}
