package io.llama2j.bench;

import io.llama2j.tokenizer.Tokenizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Encoding speed of {@link Tokenizer} on 1 MiB of TinyStories text (the shared
 * tinystories-valid-head.txt repeated and cut to {@link #TEXT_BYTES} bytes), compared in
 * BENCHMARKS.md with spm_encode on the same file. {@code perLine} encodes line by line as
 * spm_encode does; {@code wholeText} encodes the text as one string. Characters/s = the file's
 * characters divided by the time per operation.
 *
 * <p>Run: {@code java -jar llama2j-bench/target/benchmarks.jar TokenizerBenchmark
 * -p tokenizer=../shared/testdata/llama2-tokenizer.model}. The text written to
 * {@code -p textOut=...} is the exact input to give spm_encode.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TokenizerBenchmark {
    /** 1 MiB. */
    static final int TEXT_BYTES = 1 << 20;

    @Param("../shared/testdata/llama2-tokenizer.model")
    public String tokenizer;

    @Param("../shared/testdata/datasets/tinystories-valid-head.txt")
    public String corpus;

    /** Where to write the benchmark text (for spm_encode); empty: not written. */
    @Param("")
    public String textOut;

    private Tokenizer model;
    private String text;
    private String[] lines;

    @Setup
    public void setup() throws IOException {
        model = Tokenizer.load(Path.of(tokenizer));
        text = oneMebibyteOf(Path.of(corpus));
        lines = text.split("\n", -1);
        if (!textOut.isEmpty()) Files.writeString(Path.of(textOut), text, StandardCharsets.UTF_8);
        System.out.printf("%ntext: %d bytes, %d chars, %d lines%n",
                text.getBytes(StandardCharsets.UTF_8).length, text.length(), lines.length);
    }

    /** The corpus repeated until it fills TEXT_BYTES, cut there (at a character boundary). */
    static String oneMebibyteOf(Path corpus) throws IOException {
        String source = Files.readString(corpus, StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(TEXT_BYTES);
        int bytes = 0;
        for (int i = 0; ; i = (i + 1) % source.length()) {
            int cp = source.codePointAt(i);
            int length = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + length > TEXT_BYTES) return sb.toString();
            sb.appendCodePoint(cp);
            bytes += length;
            if (Character.isSupplementaryCodePoint(cp)) i++;
        }
    }

    @Benchmark
    public void perLine(Blackhole bh) {
        for (String line : lines) bh.consume(model.encode(line, false, false));
    }

    @Benchmark
    public int[] wholeText() {
        return model.encode(text, false, false);
    }
}
