package io.llama2j.cli;

import io.llama2j.train.Checkpoint;
import io.llama2j.train.data.TokenDataset;
import io.llama2j.train.data.TokenShard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code llama2j pretrain} killed in a child JVM and continued with {@code --resume} ends with
 * the same parameters, bit for bit, as a run that was never interrupted: killed hard
 * (destroyForcibly, SIGKILL) after a periodic checkpoint, and stopped like Ctrl-C (SIGTERM: the
 * shutdown hook writes the checkpoint).
 */
class PretrainResumeTest {
    private static final int STEPS = 16;

    @TempDir
    Path dir;

    private Path prepareData() throws IOException {
        SplittableRandom random = new SplittableRandom(1);
        int vocab = 64;
        int[] tokens = new int[20_000];
        for (int i = 0; i < tokens.length; i++) tokens[i] = random.nextInt(vocab);
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        TokenShard.write(data.resolve(TokenDataset.shardName(TokenDataset.TRAIN, 0)), vocab, tokens, 18_000);
        TokenShard.write(data.resolve(TokenDataset.shardName(TokenDataset.VALIDATION, 0)), vocab,
                java.util.Arrays.copyOfRange(tokens, 18_000, 20_000), 2_000);
        Files.writeString(dir.resolve("shape.json"),
                "{\"dim\": 32, \"hidden_dim\": 64, \"n_layers\": 2, \"n_heads\": 4, \"n_kv_heads\": 2, \"context_length\": 32}");
        return data;
    }

    private List<String> arguments(Path data, Path out, int saveEvery) {
        return List.of("pretrain", "--config", dir.resolve("shape.json").toString(), "--data", data.toString(),
                "--out", out.toString(), "--steps", Integer.toString(STEPS), "--batch", "2", "--seq", "32",
                "--grad-accum", "2", "--eval-every", "5", "--eval-batches", "2", "--save-every", Integer.toString(saveEvery),
                "--seed", "7", "-t", "2");
    }

    private static int runInProcess(List<String> args) {
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args.toArray(String[]::new));
        assertThat(code).as("pretrain exit code; stderr:%n%s", err).isZero();
        return code;
    }

    private Process startChild(List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(args);
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
    }

    private static void awaitFile(Path file, Process child, long timeoutSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (!Files.exists(file)) {
            assertThat(child.isAlive()).as("the child ended before writing " + file).isTrue();
            assertThat(System.nanoTime()).as("waiting for " + file).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    @Test
    void aRunKilledHardAfterACheckpointAndResumedEqualsTheUninterruptedRunBitForBit() throws Exception {
        Path data = prepareData();
        Path whole = dir.resolve("whole"), split = dir.resolve("split");
        runInProcess(arguments(data, whole, 3));

        Process child = startChild(arguments(data, split, 3));
        awaitFile(split.resolve(Checkpoint.FILE_NAME), child, 120);
        child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        int stepAtKill = Checkpoint.read(split.resolve(Checkpoint.FILE_NAME)).step();
        assertThat(stepAtKill).as("the child was killed before finishing").isLessThan(STEPS);

        runInProcess(List.of("pretrain", "--data", data.toString(), "--out", split.toString(), "--resume", "-t", "2"));
        Checkpoint resumed = Checkpoint.read(split.resolve(Checkpoint.FILE_NAME));
        Checkpoint uninterrupted = Checkpoint.read(whole.resolve(Checkpoint.FILE_NAME));
        assertThat(resumed.step()).isEqualTo(STEPS);
        assertThat(resumed.parameters()).containsExactly(uninterrupted.parameters());
        assertThat(resumed.secondMoment()).containsExactly(uninterrupted.secondMoment());
        assertThat(Files.readAllLines(split.resolve("log.jsonl")).stream().filter(l -> l.contains("\"train\"")).count())
                .isEqualTo(STEPS);
    }

    @Test
    void aRunStoppedLikeCtrlCSavesACheckpointInItsShutdownHookAndResumesBitForBit() throws Exception {
        Path data = prepareData();
        Path whole = dir.resolve("whole"), split = dir.resolve("split");
        runInProcess(arguments(data, whole, 0));

        Process child = startChild(arguments(data, split, 0));
        Path log = split.resolve("log.jsonl");
        awaitFile(log, child, 120);
        while (child.isAlive() && Files.readAllLines(log).size() < 3) Thread.sleep(5);
        child.destroy(); // SIGTERM, as Ctrl-C's SIGINT: the JVM runs its shutdown hooks
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Checkpoint saved = Checkpoint.read(split.resolve(Checkpoint.FILE_NAME));
        assertThat(saved.step()).isBetween(1, STEPS - 1);

        runInProcess(List.of("pretrain", "--data", data.toString(), "--out", split.toString(), "--resume"));
        assertThat(Checkpoint.read(split.resolve(Checkpoint.FILE_NAME)).parameters())
                .containsExactly(Checkpoint.read(whole.resolve(Checkpoint.FILE_NAME)).parameters());
    }
}
