package io.llama2j.cli;

import io.llama2j.TestData;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** `llama2j serve` refuses bad options and files with one clear line, before binding a port. */
class ServeCommandTest {

    @Test
    void zeroSlotsIsRefusedWithTheOptionNamed() {
        CliRun run = CliRun.of("serve", "-m", TestData.file("stories260K.bin").toString(),
                "-z", TestData.file("tok512.bin").toString(), "--parallel", "0", "--port", "0");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("llama2j serve: slots (--parallel) must be at least 1, was 0");
    }

    @Test
    void aContextLongerThanTheModelsIsRefused() {
        CliRun run = CliRun.of("serve", "-m", TestData.file("stories260K.bin").toString(),
                "-z", TestData.file("tok512.bin").toString(), "--ctx", "4096", "--port", "0");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("context length (--ctx) must be in [2, 512] for this model, was 4096");
    }

    @Test
    void anUnknownActivationPrecisionIsRefusedWithTheOptionNamed() {
        CliRun run = CliRun.of("serve", "-m", TestData.file("stories260K.bin").toString(),
                "-z", TestData.file("tok512.bin").toString(), "--activations", "int4", "--port", "0");
        assertThat(run.exitCode()).isNotZero();
        assertThat(run.err()).contains("--activations").contains("int4");
    }

    @Test
    void aMissingModelFileIsReportedByName() {
        CliRun run = CliRun.of("serve", "-m", "/nonexistent/model.bin", "--port", "0");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("/nonexistent/model.bin");
    }
}
