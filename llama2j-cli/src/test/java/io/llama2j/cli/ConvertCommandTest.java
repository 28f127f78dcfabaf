package io.llama2j.cli;

import io.llama2j.hf.HfModelWriter;
import io.llama2j.llama2c.Llama2cCheckpoint;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.model.RandomLlama;
import io.llama2j.safetensors.SafetensorsDType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ConvertCommandTest {
    @TempDir Path dir;

    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void convertsAHuggingFaceFolderToLlama2cByExtension() throws Exception {
        LlamaConfig c = RandomLlama.smallGqaConfig(96);
        LlamaWeights w = RandomLlama.weights(c, 9, false);
        Path hf = dir.resolve("hf");
        HfModelWriter.write(hf, c, w, SafetensorsDType.F32, null, false);
        Path bin = dir.resolve("model.bin");
        Run r = run("convert", "-m", hf.toString(), "-o", bin.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("to LLAMA2C");
        RandomLlama.assertSameWeights(w, Llama2cCheckpoint.load(bin).weights(), 0f);
    }

    @Test
    void anOutputWithoutExtensionOrFormatIsAUserError() {
        Run r = run("convert", "-m", dir.toString(), "-o", dir.resolve("out").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("use --format").doesNotContain("Exception");
    }

    @Test
    void anUnreadableInputIsAUserError() {
        Run r = run("convert", "-m", dir.resolve("missing.gguf").toString(), "-o", dir.resolve("out.bin").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("no such file or folder");
    }
}
