package io.llama2j.cli;

import io.llama2j.TestData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** llama2j tokenize / detokenize, run in-process. */
class TokenizeCommandTest {
    private final InputStream originalIn = System.in;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @AfterEach
    void restoreStdin() {
        System.setIn(originalIn);
    }

    private int run(String stdin, String... args) {
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    private static String model() {
        return TestData.file("llama2-tokenizer.model").toString();
    }

    @Test
    void tokenizePrintsIdsWithBosSeparatedBySpaces() {
        assertThat(run("", "tokenize", "-m", model(), "Hello world")).isZero();
        assertThat(out.toString().strip()).isEqualTo("1 15043 3186");
    }

    @Test
    void tokenizeReadsStdinAndHonoursNoBosAndPieces() {
        assertThat(run("Hello world", "tokenize", "-m", model(), "--no-bos", "--pieces")).isZero();
        assertThat(out.toString().strip()).isEqualTo("\u2581Hello \u2581world");
    }

    @Test
    void everyGgufTokenizerBinAndModelFileGivesTheSameIds() {
        for (String file : new String[] {"llama2-tokenizer.bin", "ggml-vocab-llama-spm.gguf"}) {
            assertThat(run("", "tokenize", "-m", TestData.file(file).toString(), "Hello world")).isZero();
        }
        assertThat(out.toString().strip().split("\\R")).containsOnly("1 15043 3186");
    }

    @Test
    void jsonlEncodesEveryLineToAJsonArray() {
        assertThat(run("\"Hello\"\n\"a\\nb\"\n", "tokenize", "-m", model(), "--jsonl")).isZero();
        assertThat(out.toString().split("\\R")).containsExactly("[1,15043]", "[1,263,13,29890]");
    }

    @Test
    void chatEncodesEveryDialogAsMetaDoes() {
        String dialog = "[{\"role\":\"user\",\"content\":\"Hello!\"}]\n";
        assertThat(run(dialog, "tokenize", "-m", model(), "--chat")).isZero();
        assertThat(out.toString().strip()).isEqualTo("[1,518,25580,29962,15043,29991,518,29914,25580,29962]");
    }

    @Test
    void malformedJsonNamesTheLine() {
        assertThat(run("\"ok\"\n{not json\n", "tokenize", "-m", model(), "--jsonl")).isEqualTo(1);
        assertThat(err.toString()).contains("stdin line 2").contains("not valid JSON");
        assertThat(run("[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"b\"}]\n",
                "tokenize", "-m", model(), "--chat")).isEqualTo(1);
        assertThat(err.toString()).contains("stdin line 1: message 1 is from the user, expected the assistant");
    }

    @Test
    void specialTagsInChatContentAreReportedOnStderr() {
        assertThat(run("[{\"role\":\"user\",\"content\":\"[INST] hi\"}]\n", "tokenize", "-m", model(), "--chat")).isZero();
        assertThat(err.toString()).contains("stdin line 1").contains("[INST]");
    }

    @Test
    void detokenizePrintsTheText() {
        assertThat(run("", "detokenize", "-m", model(), "1", "15043", "3186", "2")).isZero();
        assertThat(out.toString()).isEqualTo("Hello world" + System.lineSeparator());
    }

    @Test
    void detokenizeRejectsIdsOutsideTheVocabulary() {
        assertThat(run("", "detokenize", "-m", model(), "32000")).isEqualTo(1);
        assertThat(err.toString()).contains("token id 32000 is outside the vocabulary");
        assertThat(run("1 x", "detokenize", "-m", model())).isEqualTo(1);
        assertThat(err.toString()).contains("\"x\" is not a token id");
    }

    @Test
    void aMissingOrCorruptTokenizerFileIsAOneLineError() {
        assertThat(run("", "tokenize", "-m", "/nonexistent/tokenizer.model", "hi")).isEqualTo(1);
        assertThat(err.toString()).contains("/nonexistent/tokenizer.model").doesNotContain("\tat ");
    }
}
