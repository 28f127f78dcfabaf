package io.llama2j.tokenizer;

import io.llama2j.TestData;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;
import org.opentest4j.TestAbortedException;
import net.jqwik.api.Example;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Corrupt tokenizer files in every format (truncations, flipped bytes, absurd lengths) give a
 * clear IllegalArgumentException or IOException, never another exception, a hang or an
 * OutOfMemoryError; a file that still parses gives a working tokenizer.
 */
@AddLifecycleHook(CorruptTokenizerFileTest.SkipWithoutTestData.class)
class CorruptTokenizerFileTest {
    private static final String[] FORMATS = {"tok512.model", "tok512.bin", "tokenizer.json", "gguf"};
    private static byte[][] originals;

    /** The undamaged files, read on first use and kept. */
    private static synchronized byte[][] originals() throws IOException {
        if (originals == null) {
            originals = new byte[][] {
                    Files.readAllBytes(TestData.file("tok512.model")),
                    Files.readAllBytes(TestData.file("tok512.bin")),
                    TokenizerJsonWriter.toJson(SentencePieceModelReader.read(TestData.file("tok512.model"))),
                    Files.readAllBytes(TestData.file("ggml-vocab-llama-spm.gguf")),
            };
        }
        return originals;
    }

    /**
     * Skips the class when a file is missing on a developer machine (with CI=true the missing file
     * fails it, as everywhere). jqwik has no other way: a skip thrown in a lifecycle method is
     * reported as an error, and one thrown inside a property counts as a rejected try.
     */
    static final class SkipWithoutTestData implements SkipExecutionHook {
        @Override
        public SkipResult shouldBeSkipped(LifecycleContext context) {
            try {
                originals();
                return SkipResult.doNotSkip();
            } catch (TestAbortedException e) {
                return SkipResult.skip(e.getMessage());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Property(tries = 400)
    void anyTruncationOrByteFlipIsRejectedClearlyOrStillWorks(@ForAll @IntRange(min = 0, max = 3) int format,
                                                              @ForAll long seed) throws Exception {
        Random random = new Random(seed);
        byte[] bytes = originals()[format].clone();
        String damage = damage(bytes, random);
        if (damage.startsWith("truncate")) bytes = Arrays.copyOf(bytes, Integer.parseInt(damage.substring(9)));
        Path file = Files.createTempFile("corrupt-" + FORMATS[format], ".bin");
        try {
            Files.write(file, bytes);
            Tokenizer tokenizer;
            try {
                tokenizer = Tokenizer.load(file);
            } catch (IllegalArgumentException | IOException e) {
                assertThat(e.getMessage()).as(FORMATS[format] + " " + damage).isNotBlank();
                return;
            }
            int[] ids = tokenizer.encode("Hello world 123 \uD83E\uDD99 \u4f60\u597d", tokenizer.bosId() >= 0, false);
            assertThat(tokenizer.decode(ids)).isNotNull();
        } finally {
            Files.delete(file);
        }
    }

    /** Damages {@code bytes} in place, or returns "truncate N"; says what it did. */
    private static String damage(byte[] bytes, Random random) {
        switch (random.nextInt(4)) {
            case 0 -> {
                return "truncate " + random.nextInt(bytes.length);
            }
            case 1 -> {
                // Flip bytes near the start, where the headers and lengths are.
                int flips = 1 + random.nextInt(4);
                StringBuilder what = new StringBuilder("flip near start at");
                for (int i = 0; i < flips; i++) {
                    int at = random.nextInt(Math.min(bytes.length, 4096));
                    bytes[at] ^= (byte) (1 + random.nextInt(255));
                    what.append(' ').append(at);
                }
                return what.toString();
            }
            case 2 -> {
                int at = random.nextInt(bytes.length);
                bytes[at] ^= (byte) (1 + random.nextInt(255));
                return "flip at " + at;
            }
            default -> {
                // An absurd length or count: 0x7FFFFFFF or 0xFFFFFFFF written over 4 bytes.
                int at = random.nextInt(Math.max(1, Math.min(bytes.length - 4, 4096)));
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(at, random.nextBoolean() ? -1 : Integer.MAX_VALUE);
                return "huge int at " + at;
            }
        }
    }

    @Example
    void aTruncatedProtobufNamesTheFileAndWhatIsMissing() throws IOException {
        byte[] model = Arrays.copyOf(originals()[0], 100);
        assertThatThrownBy(() -> SentencePieceModelReader.parse(model, "tok512.model"))
                .isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining("tok512.model").hasMessageContaining("bytes remain");
    }

    @Example
    void anAbsurdPieceLengthInTokenizerBinIsReportedWithThePieceNumber() throws IOException {
        byte[] bin = originals()[1].clone();
        ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN).putInt(4 + 4, 1_000_000_000);
        assertThatThrownBy(() -> Llama2cTokenizerReader.parse(bin, "tok512.bin"))
                .isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining("tok512.bin: piece 0 has length 1000000000");
    }

    @Example
    void aFileOfNoKnownFormatSaysWhatWasExpected(@ForAll @IntRange(min = 0, max = 0) int unused) throws Exception {
        Path file = Files.createTempFile("not-a-tokenizer", ".txt");
        try {
            Files.writeString(file, "hello, I am not a tokenizer");
            assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(TokenizerFormatException.class)
                    .hasMessageContaining("not a tokenizer file").hasMessageContaining("GGUF");
        } finally {
            Files.delete(file);
        }
    }

    @Example
    void jsonWithoutABpeModelIsRejected() {
        assertThatThrownBy(() -> TokenizerJsonReader.parse("{\"model\": {\"type\": \"Unigram\"}}".getBytes(), "t.json"))
                .hasMessageContaining("t.json: model.type is \"Unigram\"");
        assertThatThrownBy(() -> TokenizerJsonReader.parse("{\"model\": ".getBytes(), "t.json"))
                .isInstanceOf(TokenizerFormatException.class).hasMessageContaining("not valid JSON");
    }
}
