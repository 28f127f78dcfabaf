package io.llama2j.cli;

import io.llama2j.TestData;
import io.llama2j.lora.LoraAdapter;
import io.llama2j.lora.PeftAdapterFiles;
import io.llama2j.model.LlamaConfig;
import io.llama2j.llama2c.Llama2cCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SftCommandTest {
    @TempDir Path dir;

    @Test
    void loraSftTrainsWithTheTrainerAndWritesAnAdapterThatLoadsForTheBase() throws Exception {
        Path model = TestData.file("stories260K.bin"), tokenizer = TestData.file("tok512.bin");
        Path data = dir.resolve("data.jsonl");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            lines.append("{\"messages\":[{\"role\":\"user\",\"content\":\"Count to ").append(i)
                    .append("\"},{\"role\":\"assistant\",\"content\":\"").append("one two ".repeat(i + 1)).append("\"}]}\n");
        }
        Files.writeString(data, lines);
        Path out = dir.resolve("run");
        CommandLine cl = Main.commandLine();
        StringWriter stdout = new StringWriter(), stderr = new StringWriter();
        cl.setOut(new PrintWriter(stdout));
        cl.setErr(new PrintWriter(stderr));
        int exit = cl.execute("sft", "-m", model.toString(), "-z", tokenizer.toString(), "--data", data.toString(),
                "--out", out.toString(), "--lora", "--rank", "2", "--seq", "64", "--batch", "2", "--sequences-per-step", "2",
                "--steps", "2", "--val-fraction", "0.25", "--lr", "1e-3", "-t", "1");
        assertThat(exit).as(stderr.toString()).isZero();
        assertThat(stderr.toString()).contains("held-out answer loss before training", "step 2/2", "wrote " + out.resolve("adapter"));
        assertThat(Files.readAllLines(out.resolve("log.jsonl"))).filteredOn(l -> l.contains("\"train\"")).hasSize(2);
        LlamaConfig config = Llama2cCheckpoint.load(model).config();
        LoraAdapter adapter = PeftAdapterFiles.read(out.resolve("adapter"), config);
        assertThat(adapter.config().rank()).isEqualTo(2);
        float maxB = 0;
        for (float b : adapter.weights(io.llama2j.lora.LoraTarget.Q, 0).b()) maxB = Math.max(maxB, Math.abs(b));
        assertThat(maxB).as("B moved away from 0").isPositive();
    }

    @Test
    void fullSftWritesAGgufModelThatLoads() throws Exception {
        Path model = TestData.file("stories260K.bin"), tokenizer = TestData.file("tok512.bin");
        Path data = dir.resolve("data.jsonl");
        Files.writeString(data, "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello there\"}]}\n"
                .repeat(4));
        Path out = dir.resolve("full");
        CommandLine cl = Main.commandLine();
        StringWriter stderr = new StringWriter();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(stderr));
        int exit = cl.execute("sft", "-m", model.toString(), "-z", tokenizer.toString(), "--data", data.toString(),
                "--out", out.toString(), "--seq", "32", "--batch", "1", "--sequences-per-step", "1", "--steps", "1",
                "--val-fraction", "0", "-t", "1");
        assertThat(exit).as(stderr.toString()).isZero();
        try (var loaded = io.llama2j.loading.ModelLoader.load(out.resolve("model.gguf"), null)) {
            assertThat(loaded.config()).isEqualTo(Llama2cCheckpoint.load(model).config());
        }
    }

    private Path answers() throws Exception {
        Path data = dir.resolve("answers.jsonl");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            lines.append("{\"messages\":[{\"role\":\"user\",\"content\":\"Say hi ").append(i)
                    .append("\"},{\"role\":\"assistant\",\"content\":\"hi there ").append(i).append("\"}]}\n");
        }
        Files.writeString(data, lines);
        return data;
    }

    private static int run(StringWriter stderr, String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(stderr));
        return cl.execute(args);
    }

    @Test
    void loraOnAQ4_0GgufIsQloraWithTheBaseKeptAsStoredAndWritesAnAdapter() throws Exception {
        Path gguf = dir.resolve("q4.gguf");
        StringWriter convertErr = new StringWriter();
        assertThat(run(convertErr, "convert", "-m", TestData.file("stories260K.gguf").toString(), "-o", gguf.toString(),
                "--type", "Q4_0")).as(convertErr.toString()).isZero();
        Path out = dir.resolve("qlora");
        StringWriter stderr = new StringWriter();
        int exit = run(stderr, "sft", "-m", gguf.toString(), "--data", answers().toString(), "--out", out.toString(),
                "--lora", "--rank", "2", "--seq", "32", "--batch", "1", "--sequences-per-step", "1", "--steps", "1",
                "--val-fraction", "0", "--lr", "1e-3", "-t", "1");
        assertThat(exit).as(stderr.toString()).isZero();
        assertThat(stderr.toString()).contains("QLoRA: frozen base", "kept as Q4_0", "step 1/1", "wrote " + out.resolve("adapter"));
        LlamaConfig config;
        try (var base = io.llama2j.loading.ModelLoader.load(gguf, null)) {
            config = base.config();
        }
        LoraAdapter adapter = PeftAdapterFiles.read(out.resolve("adapter"), config);
        float maxB = 0;
        for (float b : adapter.weights(io.llama2j.lora.LoraTarget.Q, 0).b()) maxB = Math.max(maxB, Math.abs(b));
        assertThat(maxB).as("a step moved B away from 0").isPositive();
    }

    @Test
    void qloraOnAFloatBaseQuantizesItToNf4() throws Exception {
        Path out = dir.resolve("nf4");
        StringWriter stderr = new StringWriter();
        int exit = run(stderr, "sft", "-m", TestData.file("stories260K.bin").toString(), "-z", TestData.file("tok512.bin").toString(),
                "--data", answers().toString(), "--out", out.toString(), "--qlora", "--rank", "2", "--seq", "32", "--batch", "1",
                "--sequences-per-step", "1", "--steps", "1", "--val-fraction", "0", "-t", "1");
        assertThat(exit).as(stderr.toString()).isZero();
        assertThat(stderr.toString()).contains("QLoRA: frozen base", "quantized to NF4", "step 1/1");
        assertThat(out.resolve("adapter").resolve("adapter_model.safetensors")).exists();
    }
}
