package io.llama2j.cli;

import io.llama2j.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class GattCheckCommandTest {
    @TempDir Path dir;

    @Test
    void printsOneRowPerTurnWithTheAnswersCheckedAndFollowed() throws Exception {
        Path dialogs = dir.resolve("dialogs.jsonl");
        Files.writeString(dialogs, """
                {"messages":[{"role":"user","content":"Tom had a ball."},{"role":"assistant","content":"x"},{"role":"user","content":"He ran."},{"role":"assistant","content":"y"}]}
                {"messages":[{"role":"user","content":"Lily saw a cat."},{"role":"assistant","content":"z"}]}
                """);
        CommandLine cl = Main.commandLine();
        StringWriter stdout = new StringWriter(), stderr = new StringWriter();
        cl.setOut(new PrintWriter(stdout));
        cl.setErr(new PrintWriter(stderr));
        int exit = cl.execute("gatt-check", "-m", TestData.file("stories260K.bin").toString(), "-z", TestData.file("tok512.bin").toString(),
                "--instruction", "End every answer with the word Okay.", "--check", "ends-with:Okay", "--dialogs", dialogs.toString(),
                "--turns", "3", "--max-answer-tokens", "8", "-t", "1");
        assertThat(exit).as(stderr.toString()).isZero();
        assertThat(stdout.toString().lines().toList()).hasSize(5)
                .startsWith("| turn | answers | followed (ends-with:Okay) | rate |", "|---|---|---|---|")
                .element(2).asString().startsWith("| 1 | 2 | ");
        assertThat(stdout.toString().lines().toList().get(3)).startsWith("| 2 | 1 | ");
        assertThat(stdout.toString().lines().toList().get(4)).isEqualTo("| 3 | 0 | 0 | - |");
    }

    @Test
    void anUnknownCheckIsAUserError() throws Exception {
        Path dialogs = dir.resolve("d.jsonl");
        Files.writeString(dialogs, "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello\"}]}\n");
        CommandLine cl = Main.commandLine();
        StringWriter stderr = new StringWriter();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(stderr));
        int exit = cl.execute("gatt-check", "-m", TestData.file("stories260K.bin").toString(), "-z", TestData.file("tok512.bin").toString(),
                "--instruction", "Rhyme.", "--check", "rhymes", "--dialogs", dialogs.toString());
        assertThat(exit).isNotZero();
        assertThat(stderr.toString()).contains("rhymes", "ends-with:WORD");
    }
}
