package io.llama2j.tokenizer;

import io.llama2j.TestData;
import io.llama2j.tokenizer.SentencePieceModelWriter.TrainerSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SentencePieceModelWriterTest {

    private static final Vocabulary.Normalization TOK512 = new Vocabulary.Normalization(true, true, true);

    /** A Llama 2-layout vocabulary: unk, bos, eos, 256 bytes, then normal pieces scored 0, -1, -2, ... */
    private static Vocabulary llamaLayout(Vocabulary.Normalization normalization, String... normal) {
        int size = 3 + 256 + normal.length;
        String[] pieces = new String[size];
        float[] scores = new float[size];
        PieceType[] types = new PieceType[size];
        pieces[0] = "<unk>";
        types[0] = PieceType.UNKNOWN;
        pieces[1] = "<s>";
        types[1] = PieceType.CONTROL;
        pieces[2] = "</s>";
        types[2] = PieceType.CONTROL;
        for (int b = 0; b < 256; b++) {
            pieces[3 + b] = String.format(Locale.ROOT, "<0x%02X>", b);
            types[3 + b] = PieceType.BYTE;
        }
        for (int i = 0; i < normal.length; i++) {
            pieces[259 + i] = normal[i];
            scores[259 + i] = -(float) i;
            types[259 + i] = PieceType.NORMAL;
        }
        return new Vocabulary("test", pieces, scores, types, 0, 1, 2, normalization, true,
                Vocabulary.DEFAULT_UNK_SURFACE, true);
    }

    private static Vocabulary llamaLayout(String... normal) {
        return llamaLayout(TOK512, normal);
    }

    private static final TrainerSpec SPEC = new TrainerSpec(List.of("corpus.txt"), 1.0f, 4192, 16, true, true);

    private static ProtoWire written(Vocabulary vocabulary) {
        return ProtoWire.parse(SentencePieceModelWriter.toBytes(vocabulary, SPEC));
    }

    @Test
    void piecesAreWrittenInIdOrderWithTextScoreAndType() {
        ProtoWire model = written(llamaLayout("▁t", "he", "▁a", "e"));

        List<ProtoWire.Field> written = model.all(1);
        assertThat(written).hasSize(263);
        ProtoWire unk = written.get(0).message();
        assertThat(unk.one(1).string()).isEqualTo("<unk>");
        assertThat(unk.one(2).float32()).isEqualTo(0f);
        assertThat(unk.one(3).varint()).isEqualTo(2); // UNKNOWN
        assertThat(written.get(1).message().one(3).varint()).isEqualTo(3); // CONTROL
        assertThat(written.get(3).message().one(1).string()).isEqualTo("<0x00>");
        assertThat(written.get(3).message().one(3).varint()).isEqualTo(6); // BYTE
        ProtoWire second = written.get(260).message();
        assertThat(second.one(1).string()).isEqualTo("he");
        assertThat(second.one(2).float32()).isEqualTo(-1f);
        assertThat(second.all(3)).as("NORMAL is the proto default and is left out").isEmpty();
    }

    @Test
    void theFirstMergedPieceKeepsSentencePiecesNegativeZeroScore() {
        ProtoWire first = written(llamaLayout("▁t")).all(1).get(259).message();
        assertThat(Float.floatToRawIntBits(first.one(2).float32())).isEqualTo(0x80000000);
    }

    @Test
    void trainerSpecRecordsBpeAndTheLlamaOptions() {
        ProtoWire trainer = written(llamaLayout("▁t", "he")).one(2).message();
        assertThat(trainer.one(1).string()).isEqualTo("corpus.txt");
        assertThat(trainer.one(3).varint()).as("model_type BPE").isEqualTo(2);
        assertThat(trainer.one(4).varint()).as("vocab_size").isEqualTo(261);
        assertThat(trainer.one(10).float32()).as("character_coverage").isEqualTo(1.0f);
        assertThat(trainer.one(20).varint()).as("max_sentencepiece_length").isEqualTo(16);
        assertThat(trainer.one(25).varint()).as("split_digits").isEqualTo(1);
        assertThat(trainer.one(26).varint()).as("allow_whitespace_only_pieces").isEqualTo(1);
        assertThat(trainer.one(35).varint()).as("byte_fallback").isEqualTo(1);
        assertThat(trainer.one(40).varint()).as("unk_id").isEqualTo(0);
        assertThat(trainer.one(41).varint()).as("bos_id").isEqualTo(1);
        assertThat(trainer.one(42).varint()).as("eos_id").isEqualTo(2);
        assertThat(trainer.one(43).varint()).as("pad_id -1, sign-extended to 64 bits").isEqualTo(-1L);
        assertThat(trainer.one(44).string()).as("unk_surface").isEqualTo(" ⁇ ");
        assertThat(trainer.one(45).string()).isEqualTo("<unk>");
        assertThat(trainer.one(46).string()).isEqualTo("<s>");
        assertThat(trainer.one(48).string()).isEqualTo("<pad>");
    }

    @Test
    void normalizerSpecIsTheIdentityRuleWithItsWhitespaceFlags() {
        ProtoWire normalizer = written(llamaLayout(Vocabulary.Normalization.LLAMA, "▁t")).one(3).message();
        assertThat(normalizer.one(1).string()).isEqualTo("identity");
        assertThat(normalizer.one(3).varint()).as("add_dummy_prefix").isEqualTo(1);
        assertThat(normalizer.one(4).varint()).as("remove_extra_whitespaces").isEqualTo(0);
        assertThat(normalizer.one(5).varint()).as("escape_whitespaces").isEqualTo(1);
    }

    @Test
    void ourReaderGetsBackEveryPieceScoreTypeAndSetting(@TempDir Path dir) throws Exception {
        Vocabulary original = llamaLayout(Vocabulary.Normalization.LLAMA, "▁t", "he", "▁the", "é", "▁");
        Path model = dir.resolve("tiny.model");
        SentencePieceModelWriter.write(model, original, SPEC);

        Vocabulary back = SentencePieceModelReader.read(model);
        assertThat(back.pieces()).containsExactly(original.pieces());
        assertThat(back.scores()).containsExactly(original.scores());
        assertThat(back.types()).containsExactly(original.types());
        assertThat(List.of(back.unkId(), back.bosId(), back.eosId())).containsExactly(0, 1, 2);
        assertThat(back.normalization()).isEqualTo(Vocabulary.Normalization.LLAMA);
        assertThat(back.byteFallback()).isTrue();
        assertThat(back.unkSurface()).isEqualTo(Vocabulary.DEFAULT_UNK_SURFACE);
    }

    @Test
    void sentencePieceLoadsTheWrittenModelAndListsTheSamePieces(@TempDir Path dir) throws Exception {
        Vocabulary vocabulary = llamaLayout("▁t", "he", "▁the", "h", "e", "t", "▁");
        Path model = dir.resolve("tiny.model");
        SentencePieceModelWriter.write(model, vocabulary, SPEC);

        String exported = SentencePieceTools.run("", "spm_export_vocab", "--model=" + model);
        List<String> lines = exported.lines().toList();
        assertThat(lines).hasSize(vocabulary.size());
        for (int id = 0; id < vocabulary.size(); id++) {
            String[] cols = lines.get(id).split("\t");
            assertThat(cols[0]).isEqualTo(vocabulary.pieces()[id]);
            assertThat(Float.parseFloat(cols[1])).isEqualTo(vocabulary.scores()[id]);
        }
        String encoded = SentencePieceTools.run("the thé\n", "spm_encode", "--model=" + model, "--output_format=piece");
        assertThat(encoded.strip()).as("é is not in the vocabulary: it falls back to its two UTF-8 bytes")
                .isEqualTo("▁the ▁t h <0xC3> <0xA9>");
    }

    @Test
    void rewritingLlama2cTok512KeepsWhatSentencePieceSees(@TempDir Path dir) throws Exception {
        Path original = TestData.file("tok512.model");
        Path rewritten = dir.resolve("tok512.model");
        SentencePieceModelWriter.write(rewritten, SentencePieceModelReader.read(original), SPEC);

        assertThat(SentencePieceTools.run("", "spm_export_vocab", "--model=" + rewritten))
                .isEqualTo(SentencePieceTools.run("", "spm_export_vocab", "--model=" + original));
        String text = "Once upon a time, there was a little girl named Lily.  She  loved 3 big é cats!\n";
        assertThat(SentencePieceTools.run(text, "spm_encode", "--model=" + rewritten, "--output_format=id"))
                .isEqualTo(SentencePieceTools.run(text, "spm_encode", "--model=" + original, "--output_format=id"));
    }

    @Test
    void aVocabularyWithoutBosOrEosIsRejected() {
        Vocabulary full = llamaLayout("▁t");
        Vocabulary noBos = new Vocabulary("no-bos", full.pieces(), full.scores(), full.types(), 0, -1, 2,
                full.normalization(), true, Vocabulary.DEFAULT_UNK_SURFACE, false);
        assertThatThrownBy(() -> SentencePieceModelWriter.toBytes(noBos, SPEC))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no-bos: a SentencePiece model for Llama 2 needs bos and eos pieces; bos id -1");
    }

    @Test
    void aVocabularyThatKeepsRawSpacesIsRejected() {
        Vocabulary rawSpaces = llamaLayout(new Vocabulary.Normalization(true, true, false), "▁t");
        assertThatThrownBy(() -> SentencePieceModelWriter.toBytes(rawSpaces, SPEC))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("escape_whitespaces");
    }
}
