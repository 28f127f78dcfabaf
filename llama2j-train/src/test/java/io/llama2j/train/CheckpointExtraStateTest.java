package io.llama2j.train;

import io.llama2j.model.LlamaConfig;
import io.llama2j.train.optim.OptimizerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A checkpoint's extra state (a head, a value model, counters) survives a write and a read exactly; damage is named. */
class CheckpointExtraStateTest {
    private static final LlamaConfig SHAPE = new LlamaConfig(8, 16, 1, 2, 2, 10, 8, 1e-5f, 10000f);
    private static final TrainerConfig RUN = new TrainerConfig(4, 1, 8, 1, 0, 1, 0, 1, OptimizerConfig.paper());

    private static Checkpoint checkpoint(Map<String, float[]> arrays, Map<String, Double> values) {
        return new Checkpoint(SHAPE, false, RUN, 3, 12, 3, new float[] {1, 2, 3}, new float[] {4, 5, 6}, new float[] {7, 8, 9},
                arrays, values);
    }

    @Test
    void extraArraysAndValuesRoundTripBitForBit(@TempDir Path dir) throws IOException {
        Map<String, float[]> arrays = new LinkedHashMap<>();
        arrays.put("head", new float[] {0.1f, -0.0f, Float.MIN_VALUE});
        arrays.put("empty", new float[0]);
        Map<String, Double> values = new LinkedHashMap<>();
        values.put("best_heldout_reward", 0.1 + 0.2);
        values.put("since_best", 2.0);
        Path file = dir.resolve(Checkpoint.FILE_NAME);
        checkpoint(arrays, values).write(file);

        Checkpoint read = Checkpoint.read(file);
        assertThat(read.extraArrays()).containsOnlyKeys("head", "empty");
        assertThat(read.extraArray(file, "head", 3)).containsExactly(0.1f, -0.0f, Float.MIN_VALUE);
        assertThat(read.extraValue(file, "best_heldout_reward")).isEqualTo(0.1 + 0.2);
        assertThat(read.parameters()).containsExactly(1, 2, 3);
        assertThat(read.secondMoment()).containsExactly(7, 8, 9);
    }

    @Test
    void aMissingOrMisSizedStateIsNamedWithTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve(Checkpoint.FILE_NAME);
        checkpoint(Map.of("head", new float[2]), Map.of()).write(file);
        Checkpoint read = Checkpoint.read(file);
        assertThatThrownBy(() -> read.extraArray(file, "value", 2)).isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("\"value\"");
        assertThatThrownBy(() -> read.extraArray(file, "head", 5)).isInstanceOf(IOException.class)
                .hasMessageContaining("has 2 values, the run needs 5");
        assertThatThrownBy(() -> read.extraValue(file, "finished")).isInstanceOf(IOException.class).hasMessageContaining("\"finished\"");
    }

    @Test
    void aFileShorterThanItsExtraArraysIsRefusedBeforeReading(@TempDir Path dir) throws IOException {
        Path file = dir.resolve(Checkpoint.FILE_NAME);
        checkpoint(Map.of("head", new float[4]), Map.of()).write(file);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 4));
        assertThatThrownBy(() -> Checkpoint.read(file)).isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("4 extra values");
    }
}
