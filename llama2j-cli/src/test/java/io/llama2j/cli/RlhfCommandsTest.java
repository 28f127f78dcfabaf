package io.llama2j.cli;

import io.llama2j.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * reward-train, reward-score and dpo end to end on stories260K with a checkable preference:
 * the chosen answer contains the required word "happy", the rejected one does not.
 */
class RlhfCommandsTest {
    static final String[] THINGS = {"cat", "dog", "girl", "boy", "bird", "fish", "tree", "ball", "sun", "car",
            "mom", "dad", "frog", "cake", "duck", "bear", "park", "book", "toy", "boat"};
    private static final String[] RATINGS = {"significantly_better", "better", "slightly_better", "negligibly_better"};

    static Path preferences(Path dir, String name, int from, int to) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = from; i < to; i++) {
            String thing = THINGS[i % THINGS.length], other = THINGS[(i * 7 + 3) % THINGS.length];
            lines.add("{\"prompt\":\"Tell me about the " + thing + ".\",\"chosen\":\"The " + thing + " was happy with the " + other
                    + ".\",\"rejected\":\"The " + thing + " was sad with the " + other + ".\",\"rating\":\"" + RATINGS[i % 4] + "\"}");
        }
        Path file = dir.resolve(name);
        Files.write(file, lines);
        return file;
    }

    private static double figure(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("'%s' in:%n%s", regex, text).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void rewardModelLearnsTheRequiredWordAndScoresHeldOutPairs(@TempDir Path dir) throws IOException {
        String model = TestData.file("stories260K.gguf").toString();
        Path train = preferences(dir, "train.jsonl", 0, 48), heldOut = preferences(dir, "heldout.jsonl", 48, 64);
        Path out = dir.resolve("rm");
        CliRun r = CliRun.of("reward-train", "-m", model, "--data", train.toString(), "--heldout", heldOut.toString(),
                "--out", out.toString(), "--seq", "48", "--pairs-per-batch", "4", "--epochs", "2", "--lr", "1e-3");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(out.resolve("checkpoint.bin")).exists();
        assertThat(out.resolve("reward-head.bin")).exists();
        assertThat(out.resolve("loss.png")).exists();
        assertThat(figure(r.err(), "held-out accuracy ([0-9.]+)")).isGreaterThanOrEqualTo(0.9);

        CliRun score = CliRun.of("reward-score", "--reward", out.toString(), "-z", TestData.file("tok512.model").toString(),
                "--data", heldOut.toString());
        assertThat(score.exitCode()).as(score.err()).isZero();
        assertThat(score.out().lines()).hasSize(16).allMatch(l -> l.contains("\"chosen_score\""));
        assertThat(figure(score.err(), "pairs \\(([0-9.]+)\\)")).isGreaterThanOrEqualTo(0.9);

        // Rejection sampling with this reward model, twice: the second iteration pools with the first
        Path prompts = dir.resolve("prompts.jsonl"), sft = dir.resolve("rs.jsonl");
        Files.write(prompts, List.of("{\"prompt\":\"Tell me about the cat.\"}", "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me about the dog.\"}]}"));
        for (int iteration = 1; iteration <= 2; iteration++) {
            CliRun rs = CliRun.of("rejection-sample", "-m", model, "--reward", out.toString(), "--prompts", prompts.toString(),
                    "-k", "3", "-n", "16", "--temperature", "1.0", "--seed", String.valueOf(iteration), "--out", sft.toString());
            assertThat(rs.exitCode()).as(rs.err()).isZero();
            assertThat(rs.err()).contains("iteration " + iteration);
            assertThat(figure(rs.err(), "best-of-3 (-?[0-9.]+)")).isGreaterThanOrEqualTo(figure(rs.err(), "mean reward (-?[0-9.]+)"));
        }
        assertThat(Files.readAllLines(sft)).hasSize(2).allMatch(l -> l.contains("\"role\":\"assistant\"") && l.contains("\"reward\""));
        Path rsLog = dir.resolve("rs-log");
        assertThat(Files.readAllLines(rsLog.resolve("log.jsonl"))).hasSize(2).allMatch(l -> l.contains("\"type\":\"rs\""));
        assertThat(rsLog.resolve(RejectionSampleCommand.REWARD_PLOT)).isNotEmptyFile();
        // The kept answers are SFT data as they are
        CliRun tuned = CliRun.of("sft", "-m", model, "--data", sft.toString(), "--out", dir.resolve("rs-sft").toString(), "--seq", "64",
                "--sequences-per-step", "2", "--batch", "2", "--epochs", "1", "--val-fraction", "0", "--lr", "1e-4");
        assertThat(tuned.exitCode()).as(tuned.err()).isZero();
        assertThat(dir.resolve("rs-sft").resolve("checkpoint.bin")).exists();

        // PPO against this reward model, sized down to two iterations
        List<String> ppoPrompts = new ArrayList<>();
        for (String thing : THINGS) ppoPrompts.add("{\"prompt\":\"Tell me about the " + thing + ".\"}");
        Path ppoPromptFile = dir.resolve("ppo-prompts.jsonl");
        Files.write(ppoPromptFile, ppoPrompts);
        CliRun ppo = CliRun.of("ppo", "-m", model, "--reward", out.toString(), "--prompts", ppoPromptFile.toString(),
                "--out", dir.resolve("ppo").toString(), "--iterations", "2", "--batch", "4", "--mini-batch", "2",
                "--response-tokens", "8", "--lr", "1e-4");
        assertThat(ppo.exitCode()).as(ppo.err()).isZero();
        assertThat(ppo.err()).contains("ppo iteration 1 | reward", "held-out reward");
        for (String file : List.of("checkpoint.bin", "loss.png", "reward.png", "kl.png")) assertThat(dir.resolve("ppo").resolve(file)).exists();
    }

    @Test
    void dpoRaisesTheHeldOutPreferenceForTheRequiredWord(@TempDir Path dir) throws IOException {
        String model = TestData.file("stories260K.gguf").toString();
        Path train = preferences(dir, "train.jsonl", 0, 48), heldOut = preferences(dir, "heldout.jsonl", 48, 64);
        CliRun r = CliRun.of("dpo", "-m", model, "--data", train.toString(), "--heldout", heldOut.toString(), "--out",
                dir.resolve("dpo").toString(), "--seq", "48", "--pairs-per-batch", "4", "--lr", "1e-3", "--beta", "0.1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        double lossBefore = figure(r.err(), "held-out loss ([0-9.]+) ->"), lossAfter = figure(r.err(), "held-out loss [0-9.]+ -> ([0-9.]+)");
        assertThat(lossBefore).isCloseTo(Math.log(2), org.assertj.core.api.Assertions.within(1e-3));
        assertThat(lossAfter).isLessThan(lossBefore);
        assertThat(figure(r.err(), "accuracy [0-9.]+ -> ([0-9.]+)")).isGreaterThanOrEqualTo(0.9);
        assertThat(dir.resolve("dpo").resolve("checkpoint.bin")).exists();
    }

    @Test
    void badPreferenceLinesAreReportedWithFileAndLine(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.jsonl");
        Files.write(bad, List.of("{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\",\"rating\":\"better\"}",
                "{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\",\"rating\":\"way_better\"}"));
        CliRun r = CliRun.of("reward-train", "-m", TestData.file("stories260K.gguf").toString(), "--data", bad.toString(),
                "--out", dir.resolve("x").toString(), "--seq", "32");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.err()).contains(bad + ":2").contains("way_better");
    }
}
