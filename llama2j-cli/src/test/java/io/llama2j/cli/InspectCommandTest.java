package io.llama2j.cli;

import io.llama2j.TestData;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class InspectCommandTest {

    @Test
    void printsTheConfigurationAndOneRowPerTensor() {
        CliRun r = CliRun.of("inspect", "-m", TestData.file("stories260K.bin").toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("format:         LLAMA2C", "dim:            64", "n_kv_heads:     4", "tied to token_embd")
                .contains("blk.4.ffn_down.weight     F32    64 x 172")
                .contains("47 tensors, 260032 parameters, 1040128 bytes");
    }

    @Test
    void aMissingModelIsOneClearLineWithoutStackTrace() {
        CliRun r = CliRun.of("inspect", "-m", "no/such/model.bin");
        assertThat(r.exitCode()).isEqualTo(1);
        // OWNER/REPO/FILE-shaped names may also be pulled models, so the message names both places.
        assertThat(r.err().strip()).startsWith("llama2j inspect: no/such/model.bin: neither a local path nor in the model cache")
                .contains("llama2j pull").doesNotContain("\n");
    }
}
