package io.llama2j.tokenizer;

import io.llama2j.TestData;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Invariants of encode, decode and the streaming decoder over generated text and ids. */
class TokenizerProperties {
    private static Tokenizer llama;
    private static Tokenizer tok512;

    @BeforeContainer
    static void load() throws Exception {
        llama = Tokenizer.load(TestData.file("llama2-tokenizer.model"));
        tok512 = Tokenizer.load(TestData.file("tok512.model"));
    }

    /** Llama 2 keeps every space and falls back to bytes, so SentencePiece round-trips all text. */
    @Property(tries = 2000)
    void decodeOfEncodeIsTheOriginalTextForLlama2(@ForAll("text") String text) {
        assertThat(llama.decode(llama.encode(text, true, true))).isEqualTo(text);
    }

    /** tok512 removes extra spaces when encoding, so only that is lost. */
    @Property(tries = 1000)
    void decodeOfEncodeIsTheTextWithExtraSpacesRemovedForTok512(@ForAll("text") String text) {
        String collapsed = text.replaceAll(" +", " ").replaceAll("\\A | \\z", "");
        assertThat(tok512.decode(tok512.encode(text, true, false))).isEqualTo(collapsed);
    }

    @Property(tries = 1000)
    void streamingDecodingGivesTheSameTextAsDecode(@ForAll("ids") List<Integer> ids) {
        int[] array = ids.stream().mapToInt(Integer::intValue).toArray();
        StreamingDecoder decoder = llama.streamingDecoder();
        StringBuilder streamed = new StringBuilder();
        for (int id : array) {
            String part = decoder.accept(id);
            assertThat(part.isEmpty() || !Character.isHighSurrogate(part.charAt(part.length() - 1)))
                    .as("never half a character: %s", part).isTrue();
            streamed.append(part);
        }
        streamed.append(decoder.flush());
        assertThat(streamed.toString()).isEqualTo(llama.decode(array));
    }

    @Property(tries = 1000)
    void streamingDecoderHoldsBackBytesUntilTheCharacterIsComplete(@ForAll("text") String text) {
        StreamingDecoder decoder = llama.streamingDecoder();
        StringBuilder streamed = new StringBuilder();
        for (int id : llama.encode(text, true, false)) {
            String part = decoder.accept(id);
            if (!text.contains("\uFFFD")) {
                assertThat(part).as("a character split over byte pieces is never emitted broken").doesNotContain("\uFFFD");
            }
            streamed.append(part);
        }
        assertThat(decoder.flush()).isEmpty();
        assertThat(streamed.toString()).isEqualTo(text);
    }

    @Provide
    Arbitrary<String> text() {
        Arbitrary<Integer> codePoint = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(0x20, 0x7E)),
                net.jqwik.api.Tuple.of(2, Arbitraries.of((int) ' ', (int) '\n', (int) '\t', 0x3000, 0xA0)),
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(0, 0xFFFF)),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0x10000, 0x10FFFF)));
        return codePoint.filter(cp -> cp < 0xD800 || cp > 0xDFFF).list().ofMaxSize(40)
                .map(cps -> {
                    StringBuilder sb = new StringBuilder();
                    cps.forEach(sb::appendCodePoint);
                    return sb.toString();
                });
    }

    @Provide
    Arbitrary<List<Integer>> ids() {
        // Mostly UNK, BOS, EOS and byte pieces (ids 0..258), where decoding is subtle.
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(0, 258)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, 31999))).list().ofMaxSize(20);
    }
}
