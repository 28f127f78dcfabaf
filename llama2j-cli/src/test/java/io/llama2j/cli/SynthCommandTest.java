package io.llama2j.cli;

import io.llama2j.TestData;
import io.llama2j.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** llama2j synth: the command line of the synthetic-model writer (the writer has its own tests in core). */
class SynthCommandTest {

    @TempDir
    Path dir;

    @Test
    void writesTheNamedShapeWithTheVocabulary() throws Exception {
        Path out = dir.resolve("s.gguf");
        CliRun run = CliRun.of("synth", "--shape", "stories15M", "--type", "Q8_0", "--pure", "--seed", "3", "-t", "2",
                "--vocab", TestData.file("llama2-tokenizer.model").toString(), "-o", out.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).contains("stories15M Q8_0 (pure)");
        try (GgufFile f = GgufFile.open(out)) {
            assertThat(f.getInt("llama.embedding_length")).isEqualTo(288);
            assertThat(f.getInt("llama.block_count")).isEqualTo(6);
            assertThat(f.tensorInfo("blk.5.ffn_down.weight").shape()).containsExactly(768, 288);
            assertThat(f.getStringArray("tokenizer.ggml.tokens")).hasSize(32000);
        }
    }

    @Test
    void unknownShapeOrTypeIsAnOptionError() {
        String vocab = TestData.file("llama2-tokenizer.model").toString();
        CliRun shape = CliRun.of("synth", "--shape", "llama2-8b", "--vocab", vocab, "-o", dir.resolve("x.gguf").toString());
        assertThat(shape.exitCode()).isEqualTo(2);
        assertThat(shape.err()).contains("unknown shape llama2-8b").contains("llama2-7b");
        CliRun type = CliRun.of("synth", "--shape", "stories15M", "--type", "Q6_K", "--vocab", vocab, "-o", dir.resolve("y.gguf").toString());
        assertThat(type.exitCode()).isEqualTo(1);
        assertThat(type.err()).contains("cannot write Q6_K");
    }
}
