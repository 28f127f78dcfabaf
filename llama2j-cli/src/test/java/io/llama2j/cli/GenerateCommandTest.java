package io.llama2j.cli;

import io.llama2j.TestData;
import io.llama2j.model.ReferenceOutput;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class GenerateCommandTest {
    final String model = TestData.file("stories260K.bin").toString();
    final String tokenizer = TestData.file("tok512.bin").toString();

    @Test
    void greedyGenerationFromBosReproducesRunCsStory() throws IOException {
        ReferenceOutput ref = ReferenceOutput.read(TestData.file("reference/stories260K-ref-bos.json"));
        CliRun r = CliRun.of("generate", "-m", model, "-z", tokenizer, "--temperature", "0", "-n", "256", "-t", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(ref.greedyText() + System.lineSeparator());
        assertThat(r.err()).contains("generation: 256 tokens").contains("tokens/s");
    }

    @Test
    void theGgufCopyOfStories260KWithItsOwnVocabularyGivesTheSameStory() throws IOException {
        ReferenceOutput ref = ReferenceOutput.read(TestData.file("reference/stories260K-ref-bos.json"));
        CliRun r = CliRun.of("generate", "-m", TestData.file("stories260K.gguf").toString(), "--temperature", "0", "-n", "256");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(ref.greedyText() + System.lineSeparator());
    }

    @Test
    void promptIdsAndOutputIdsGiveTheReferenceContinuation() throws IOException {
        ReferenceOutput ref = ReferenceOutput.read(TestData.file("reference/stories260K-ref-prompt.json"));
        String prompt = Arrays.stream(ref.prompt()).mapToObj(Integer::toString).collect(Collectors.joining(" "));
        CliRun r = CliRun.of("generate", "-m", model, "-z", tokenizer, "--temperature", "0", "-n", "20",
                "--prompt-ids", prompt, "--output-ids");
        assertThat(r.exitCode()).as(r.err()).isZero();
        String expected = Arrays.stream(ref.greedy()).limit(20).mapToObj(Integer::toString).collect(Collectors.joining(" "));
        assertThat(r.out().strip()).isEqualTo(expected);
    }

    /**
     * Q8_0 products quantize their activations to 8 bits by default, as llama.cpp does, and the
     * greedy ids are llama.cpp's; {@code --activations float32} gives the exact path's ids. On
     * this prompt the two sequences part at the 26th id, so each run must take its own path.
     */
    @Test
    void activationsChooseBetweenLlamaCppsRoundingAndTheExactPath() throws IOException {
        String q8 = TestData.file("gguf/tiny-llama2-Q8_0.gguf").toString();
        for (String[] run : new String[][]{{"llamacpp"}, {"exact", "--activations", "float32"}}) {
            ReferenceOutput ref = ReferenceOutput.read(TestData.file("reference/gguf-Q8_0-" + run[0] + "-p2.json"));
            String prompt = Arrays.stream(ref.prompt()).mapToObj(Integer::toString).collect(Collectors.joining(" "));
            String[] args = {"generate", "-m", q8, "--temperature", "0", "-n", "32", "--prompt-ids", prompt, "--output-ids", "-t", "2"};
            CliRun r = CliRun.of(java.util.stream.Stream.concat(Arrays.stream(args), Arrays.stream(run).skip(1)).toArray(String[]::new));
            assertThat(r.exitCode()).as(r.err()).isZero();
            String expected = Arrays.stream(ref.greedy()).limit(32).mapToObj(Integer::toString).collect(Collectors.joining(" "));
            assertThat(r.out().strip()).as(run[0]).isEqualTo(expected);
        }
        CliRun bad = CliRun.of("generate", "-m", q8, "--activations", "int4");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.err()).contains("--activations").contains("int4");
    }

    @Test
    void aTextPromptIsEncodedWithBosAndContinued() throws IOException {
        ReferenceOutput ref = ReferenceOutput.read(TestData.file("reference/stories260K-ref-prompt.json"));
        CliRun r = CliRun.of("generate", "-m", model, "-z", tokenizer, "--temperature", "0", "-n", "252", "-p", "Once upon a time");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(ref.greedyText() + System.lineSeparator());
    }

    @Test
    void aStopStringEndsTheTextBeforeIt() {
        CliRun r = CliRun.of("generate", "-m", model, "-z", tokenizer, "--temperature", "0", "--stop", "Lily");
        assertThat(r.out()).isEqualTo("Once upon a time, there was a little girl named " + System.lineSeparator());
        assertThat(r.err()).contains("(stop_string)");
    }

    @Test
    void theSameSeedGivesTheSameSampledText() {
        String[] args = {"generate", "-m", model, "-z", tokenizer, "-n", "40", "--seed", "7", "--top-k", "20"};
        CliRun a = CliRun.of(args), b = CliRun.of(args);
        assertThat(a.exitCode()).isZero();
        assertThat(a.out()).isEqualTo(b.out()).isNotBlank();
    }

    @Test
    void badOptionsAreOneClearLine() {
        CliRun r = CliRun.of("generate", "-m", model, "-z", tokenizer, "--top-p", "1.5");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("llama2j generate: top-p must be in (0, 1], found 1.5 (see --help)");
        CliRun ids = CliRun.of("generate", "-m", model, "-z", tokenizer, "--prompt-ids", "1 x 3");
        assertThat(ids.err().strip()).contains("--prompt-ids must be integers").doesNotContain("Exception");
        CliRun outside = CliRun.of("generate", "-m", model, "-z", tokenizer, "--prompt-ids", "1 9999");
        assertThat(outside.exitCode()).isEqualTo(1);
        assertThat(outside.err().strip()).isEqualTo("llama2j generate: prompt token id 9999 is outside the vocabulary [0, 512)");
    }

    @Test
    void aLlama2cModelWithoutATokenizerNextToItAsksForMinusZ() {
        CliRun r = CliRun.of("generate", "-m", model);
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("does not contain its tokenizer; pass one with -z").doesNotContain("\tat ");
    }

    @Test
    void infillOptionsMustComeAsAPairAndNotWithAPrompt() {
        CliRun onlyPrefix = CliRun.of("generate", "-m", model, "-z", tokenizer, "--infill-prefix", "def f():");
        assertThat(onlyPrefix.exitCode()).isEqualTo(2);
        assertThat(onlyPrefix.err()).contains("--infill-prefix and --infill-suffix go together, found only --infill-prefix");
        CliRun onlySuffix = CliRun.of("generate", "-m", model, "-z", tokenizer, "--infill-suffix", "return x");
        assertThat(onlySuffix.err()).contains("found only --infill-suffix");
        CliRun withPrompt = CliRun.of("generate", "-m", model, "-z", tokenizer, "--infill-prefix", "a", "--infill-suffix", "b",
                "-p", "Once");
        assertThat(withPrompt.exitCode()).isEqualTo(2);
        assertThat(withPrompt.err()).contains("use either --infill-prefix/--infill-suffix or -p/--prompt, not both");
        CliRun withIds = CliRun.of("generate", "-m", model, "-z", tokenizer, "--infill-prefix", "a", "--infill-suffix", "b",
                "--prompt-ids", "1 2");
        assertThat(withIds.err()).contains("or --prompt-ids, not both");
        CliRun suffixFirstAlone = CliRun.of("generate", "-m", model, "-z", tokenizer, "--suffix-first", "-p", "Once");
        assertThat(suffixFirstAlone.exitCode()).isEqualTo(2);
        assertThat(suffixFirstAlone.err()).contains("--suffix-first needs --infill-prefix and --infill-suffix");
    }

    @Test
    void infillingWithAVocabularyWithoutTheInfillPiecesNamesTheMissingPiece() {
        CliRun r = CliRun.of("generate", "-m", model, "-z", tokenizer, "--infill-prefix", "a", "--infill-suffix", "b");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err().strip()).startsWith("llama2j generate: ").contains("no \"\u2581<PRE>\" piece")
                .doesNotContain("Exception");
    }
}
