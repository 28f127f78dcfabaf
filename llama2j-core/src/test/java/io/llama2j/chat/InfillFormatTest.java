package io.llama2j.chat;

import io.llama2j.TestData;
import io.llama2j.tokenizer.StreamingDecoder;
import io.llama2j.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Code Llama infilling prompts as Meta's infilling_prompt_tokens builds them, on Llama 2's
 * vocabulary plus the four infill pieces appended as in Code Llama's tokenizer.model (ids 32000+).
 */
class InfillFormatTest {
    private static Tokenizer llama2;
    private static Tokenizer codeLlama;

    @BeforeAll
    static void load() throws Exception {
        llama2 = Tokenizer.load(TestData.file("llama2-tokenizer.model"));
        codeLlama = Tokenizer.of(CodeLlamaVocabulary.of(llama2.vocabulary()));
    }

    private static List<String> pieces(int[] ids) {
        return Arrays.stream(ids).mapToObj(codeLlama::piece).toList();
    }

    @Test
    void infillPiecesAreLookedUpByTheirText() {
        InfillFormat format = new InfillFormat(codeLlama);
        assertThat(List.of(format.prefixId(), format.middleId(), format.suffixId(), format.endOfTextId()))
                .containsExactly(32000, 32001, 32002, 32003);
    }

    @Test
    void prefixSuffixMiddleOrderPutsThePrefixWithItsSpaceThenTheSuffixWithout() {
        int[] ids = new InfillFormat(codeLlama).encode("def add(a, b):", "return a", false);
        // <PRE> {pre} <SUF>{suf} <MID>: the prefix gets SentencePiece's dummy-prefix "▁", the suffix none
        assertThat(ids).startsWith(1, 32000).endsWith(32001);
        assertThat(pieces(ids)).containsExactly("<s>", "▁<PRE>", "▁def", "▁add", "(", "a", ",", "▁b", "):",
                "▁<SUF>", "return", "▁a", "▁<MID>");
    }

    @Test
    void suffixFirstOrderPutsTheSuffixBeforeTheMiddleAndThePrefixAfterIt() {
        int[] ids = new InfillFormat(codeLlama).encode("def add(a, b):", "return a", true);
        // <PRE> <SUF>{suf} <MID> {pre}
        assertThat(pieces(ids)).containsExactly("<s>", "▁<PRE>", "▁<SUF>", "return", "▁a", "▁<MID>",
                "▁def", "▁add", "(", "a", ",", "▁b", "):");
    }

    @Test
    void aSuffixThatStartsWithASpaceOrNewlineKeepsIt() {
        InfillFormat format = new InfillFormat(codeLlama);
        assertThat(pieces(format.encodeInfilling(" x"))).containsExactly("▁x");
        assertThat(pieces(format.encodeInfilling("\n    return x"))).startsWith("<0x0A>");
        assertThat(format.encodeInfilling("")).isEmpty();
    }

    @Test
    void emptyPrefixAndSuffixGiveOnlyTheMarkers() {
        assertThat(pieces(new InfillFormat(codeLlama).encode("", "", false)))
                .containsExactly("<s>", "▁<PRE>", "▁<SUF>", "▁<MID>");
    }

    @Test
    void theMiddleDecoderKeepsTheLeadingSpaceThatThePlainDecoderDrops() {
        int[] middle = llama2.encode("x + y", false, false); // starts with "▁x"
        StreamingDecoder decoder = new InfillFormat(codeLlama).middleDecoder();
        StringBuilder text = new StringBuilder();
        for (int id : middle) text.append(decoder.accept(id));
        assertThat(text.append(decoder.flush()).toString()).isEqualTo(" x + y");
        assertThat(codeLlama.decode(middle)).isEqualTo("x + y");
    }

    @Test
    void aVocabularyWithoutTheInfillPiecesIsRejectedNamingTheMissingPiece() {
        assertThatThrownBy(() -> new InfillFormat(llama2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no \"▁<PRE>\" piece")
                .hasMessageContaining("Code Llama");
        Tokenizer withoutEot = Tokenizer.of(CodeLlamaVocabulary.withPieces(llama2.vocabulary(), CodeLlamaVocabulary.INFILL_PIECES.subList(0, 3)));
        assertThatThrownBy(() -> new InfillFormat(withoutEot))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no \"▁<EOT>\" piece");
    }
}
