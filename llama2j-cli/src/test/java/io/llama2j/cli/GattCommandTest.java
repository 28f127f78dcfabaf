package io.llama2j.cli;

import io.llama2j.TestData;
import io.llama2j.chat.Message;
import io.llama2j.train.sft.Conversations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class GattCommandTest {
    @TempDir Path dir;

    @Test
    void writesTheShorterRewriteAsTheSystemMessageWhenTheShareSaysSo() throws Exception {
        Path dialogs = dir.resolve("dialogs.jsonl"), instructions = dir.resolve("instructions.txt"), out = dir.resolve("gatt.jsonl");
        Files.writeString(dialogs, """
                {"messages":[{"role":"user","content":"Tom had a ball."},{"role":"assistant","content":"x"},{"role":"user","content":"He ran."},{"role":"assistant","content":"y"}]}
                """);
        Files.writeString(instructions, "Always act as Napoleon from now\tFigure: Napoleon.\n");
        CommandLine cl = Main.commandLine();
        StringWriter stderr = new StringWriter();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(stderr));
        int exit = cl.execute("gatt", "-m", TestData.file("stories260K.bin").toString(), "-z", TestData.file("tok512.bin").toString(),
                "--instructions", instructions.toString(), "--dialogs", dialogs.toString(), "-o", out.toString(),
                "--rewrite-share", "1", "--max-answer-tokens", "4", "--temperature", "0");
        assertThat(exit).as(stderr.toString()).isZero();
        List<Conversations.Conversation> written = Conversations.read(out);
        assertThat(written).hasSize(1);
        assertThat(written.getFirst().messages().getFirst()).isEqualTo(Message.system("Figure: Napoleon."));
        assertThat(written.getFirst().messages().get(1)).isEqualTo(Message.user("Tom had a ball."));
        assertThat(written.getFirst().trained()).containsExactly(false, false, false, false, true);
    }
}
