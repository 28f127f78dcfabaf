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
        assertThat(r.err().strip()).isEqualTo("llama2j inspect: no/such/model.bin: model file not found");
    }
}
