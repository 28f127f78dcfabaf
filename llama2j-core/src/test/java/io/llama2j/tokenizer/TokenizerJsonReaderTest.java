package io.llama2j.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** tokenizer.json variants written by hand: the newer Metaspace layout and array-form merges. */
class TokenizerJsonReaderTest {
    private static final String METASPACE_JSON = """
            {"added_tokens": [{"id": 0, "content": "<unk>", "special": true},
                              {"id": 1, "content": "<s>", "special": true},
                              {"id": 2, "content": "</s>", "special": true}],
             "normalizer": null,
             "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": false},
             "model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": false,
                       "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "\u2581": 3, "h": 4, "i": 5, "\u2581h": 6, "\u2581hi": 7},
                       "merges": [["\u2581", "h"], ["\u2581h", "i"]]}}
            """;

    @Test
    void aMetaspaceTokenizerWithArrayMergesReadsAsASentencePieceVocabulary() {
        Vocabulary v = TokenizerJsonReader.parse(METASPACE_JSON.getBytes(StandardCharsets.UTF_8), "t.json");
        assertThat(v.normalization()).isEqualTo(Vocabulary.Normalization.LLAMA);
        assertThat(v.types()).startsWith(PieceType.UNKNOWN, PieceType.CONTROL, PieceType.CONTROL, PieceType.NORMAL);
        assertThat(v.scores()[6]).isGreaterThan(v.scores()[7]); // the earlier merge scores higher
        Tokenizer t = Tokenizer.of(v);
        assertThat(t.encode("hi hi", true, true)).containsExactly(1, 7, 7, 2);
        assertThat(t.encode("ih", false, false)).containsExactly(3, 5, 4);
        assertThat(t.decode(new int[] {1, 7, 7, 2})).isEqualTo("hi hi");
    }

    @Test
    void inconsistentFilesAreRejectedNamingWhatIsWrong() {
        String duplicateId = METASPACE_JSON.replace("\"\u2581hi\": 7", "\"\u2581hi\": 6");
        assertThatThrownBy(() -> TokenizerJsonReader.parse(duplicateId.getBytes(StandardCharsets.UTF_8), "t.json"))
                .isInstanceOf(TokenizerFormatException.class).hasMessageContaining("model.vocab gives id 6 to both");
        String badMerge = METASPACE_JSON.replace("[\"\u2581h\", \"i\"]", "[\"x\", \"y\"]");
        assertThatThrownBy(() -> TokenizerJsonReader.parse(badMerge.getBytes(StandardCharsets.UTF_8), "t.json"))
                .hasMessageContaining("t.json: merge 1 (x y) joins pieces that are not all in model.vocab");
        String hugeId = METASPACE_JSON.replace("\"\u2581hi\": 7", "\"\u2581hi\": 2147483647");
        assertThatThrownBy(() -> TokenizerJsonReader.parse(hugeId.getBytes(StandardCharsets.UTF_8), "t.json"))
                .hasMessageContaining("expected an id in 0..7");
    }
}
