package io.llama2j.cli;

import io.llama2j.TestData;
import io.llama2j.train.Checkpoint;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code llama2j dpo} and {@code ppo} stopped like Ctrl-C in a child JVM (SIGTERM: the shutdown
 * hook writes the checkpoint at the next step boundary) and continued with {@code --resume} end
 * with the same checkpoint, bit for bit, as a run that was never interrupted. {@code reward-train}
 * shares dpo's options and loop; its head and head optimizer are checked bit for bit in
 * PreferenceResumeTest, which keeps this test to two commands.
 */
class AlignmentResumeTest {
    @TempDir
    Path dir;

    private List<String> arguments(String command, Path out) throws IOException {
        String model = TestData.file("stories260K.gguf").toString();
        if (command.equals("ppo")) {
            List<String> prompts = new ArrayList<>();
            for (String thing : RlhfCommandsTest.THINGS) prompts.add("{\"prompt\":\"Tell me about the " + thing + ".\"}");
            Path promptFile = dir.resolve("prompts.jsonl");
            Files.write(promptFile, prompts);
            Path rm = dir.resolve("rm");
            if (!Files.exists(rm.resolve(Checkpoint.FILE_NAME))) {
                CliRun r = CliRun.of(preferenceArguments("reward-train", model, rm, 1).toArray(String[]::new));
                assertThat(r.exitCode()).as(r.err()).isZero();
            }
            return List.of("ppo", "-m", model, "--reward", rm.toString(), "--prompts", promptFile.toString(), "--out", out.toString(),
                    "--iterations", "5", "--batch", "2", "--mini-batch", "1", "--response-tokens", "4", "--lr", "1e-4",
                    "--patience", "5", "-t", "2");
        }
        return preferenceArguments(command, model, out, 2);
    }

    private List<String> preferenceArguments(String command, String model, Path out, int epochs) throws IOException {
        Path data = RlhfCommandsTest.preferences(dir, "train.jsonl", 0, 16), heldOut = RlhfCommandsTest.preferences(dir, "heldout.jsonl", 16, 18);
        return List.of(command, "-m", model, "--data", data.toString(), "--heldout", heldOut.toString(), "--out", out.toString(),
                "--seq", "48", "--pairs-per-batch", "2", "--epochs", String.valueOf(epochs), "--lr", "1e-3", "-t", "2");
    }

    private Process startChild(List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(args);
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
    }

    @ParameterizedTest
    @ValueSource(strings = {"dpo", "ppo"})
    void aRunStoppedLikeCtrlCAndResumedEndsBitForBitLikeAnUninterruptedRun(String command) throws Exception {
        Path whole = dir.resolve("whole"), split = dir.resolve("split");
        CliRun full = CliRun.of(arguments(command, whole).toArray(String[]::new));
        assertThat(full.exitCode()).as(full.err()).isZero();

        Process child = startChild(arguments(command, split));
        Path log = split.resolve("log.jsonl");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (child.isAlive() && (!Files.exists(log) || Files.readAllLines(log).size() < 2)) {
            assertThat(System.nanoTime()).as("waiting for two log lines of the child").isLessThan(deadline);
            Thread.sleep(5);
        }
        assertThat(child.isAlive()).as("the child finished before it could be stopped:%n%s", Files.readString(dir.resolve("child.log"))).isTrue();
        child.destroy(); // SIGTERM, as Ctrl-C's SIGINT: the JVM runs its shutdown hooks
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Checkpoint stopped = Checkpoint.read(split.resolve(Checkpoint.FILE_NAME));
        Checkpoint uninterrupted = Checkpoint.read(whole.resolve(Checkpoint.FILE_NAME));
        assertThat(stopped.step()).as("step of the checkpoint written on SIGTERM").isBetween(1, uninterrupted.step() - 1);

        List<String> resume = new ArrayList<>(arguments(command, split));
        resume.add("--resume");
        CliRun resumed = CliRun.of(resume.toArray(String[]::new));
        assertThat(resumed.exitCode()).as(resumed.err()).isZero();
        Checkpoint end = Checkpoint.read(split.resolve(Checkpoint.FILE_NAME));
        assertThat(end.step()).isEqualTo(uninterrupted.step());
        assertThat(end.parameters()).containsExactly(uninterrupted.parameters());
        assertThat(end.secondMoment()).containsExactly(uninterrupted.secondMoment());
        for (String name : uninterrupted.extraArrays().keySet()) {
            assertThat(end.extraArrays().get(name)).as(name).containsExactly(uninterrupted.extraArrays().get(name));
        }
    }
}
