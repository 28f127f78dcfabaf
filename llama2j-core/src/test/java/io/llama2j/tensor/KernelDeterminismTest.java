package io.llama2j.tensor;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kernels give the same bits interpreted and compiled. The Vector API's reduceLanes(ADD)
 * did not: its fallback and C2's intrinsic add lanes in different orders, so a seeded
 * generation, or a test comparing logits exactly, changed with the JIT's timing.
 */
class KernelDeterminismTest {

    @Test
    void compiledKernelsGiveTheInterpretersBits() throws Exception {
        String compiled = "";
        for (int i = 0; i < 300; i++) compiled = KernelFingerprint.compute(); // enough calls for C2
        assertThat(interpretedInChildJvm()).isEqualTo(compiled);
    }

    private static String interpretedInChildJvm() throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(List.of(java, "-Xint", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), KernelFingerprint.class.getName()))
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        byte[] stdout = child.getInputStream().readAllBytes();
        assertThat(child.waitFor(120, TimeUnit.SECONDS)).as("interpreted child finished").isTrue();
        assertThat(child.exitValue()).as("interpreted child's exit code").isZero();
        return new String(stdout, StandardCharsets.UTF_8);
    }
}
