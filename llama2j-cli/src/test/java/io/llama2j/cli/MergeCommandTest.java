package io.llama2j.cli;

import io.llama2j.hf.HfModelWriter;
import io.llama2j.llama2c.Llama2cCheckpoint;
import io.llama2j.lora.LoraAdapter;
import io.llama2j.lora.PeftAdapterFiles;
import io.llama2j.lora.RandomLora;
import io.llama2j.model.Llama;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.model.RandomLlama;
import io.llama2j.safetensors.SafetensorsDType;
import io.llama2j.tensor.Parallel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class MergeCommandTest {
    @TempDir Path dir;

    @Test
    void theMergedModelGivesTheLogitsOfTheBaseWithItsAdapter() throws Exception {
        LlamaConfig c = RandomLlama.smallGqaConfig(96);
        LlamaWeights base = RandomLlama.weights(c, 11, false);
        Path hf = dir.resolve("hf");
        HfModelWriter.write(hf, c, base, SafetensorsDType.F32, null, false);
        LoraAdapter adapter = RandomLora.adapter(c, RandomLora.everyProjection(4, 8), 12);
        Path lora = dir.resolve("adapter");
        PeftAdapterFiles.write(lora, adapter, c, hf.toString());
        Path merged = dir.resolve("merged.bin");

        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute("merge", "-m", hf.toString(), "--lora", lora.toString(), "-o", merged.toString());
        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString()).contains("merged LoRA r=4");

        int[] tokens = {1, 50, 7, 95, 3};
        Llama unmerged = new Llama(c, base, Parallel.shared(), adapter);
        Llama folded = new Llama(c, Llama2cCheckpoint.load(merged).weights());
        float[][] expected = unmerged.forwardAllLogits(unmerged.newState(), tokens);
        float[][] actual = folded.forwardAllLogits(folded.newState(), tokens);
        for (int t = 0; t < tokens.length; t++) {
            for (int v = 0; v < c.vocabSize(); v++) assertThat(actual[t][v]).as("token %d logit %d", t, v).isCloseTo(expected[t][v], within(1e-3f));
        }
    }
}
