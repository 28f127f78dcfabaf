package io.llama2j.tokenizer;

import io.llama2j.tokenizer.SentencePieceModelWriter.NormalizerSpec;
import io.llama2j.tokenizer.SentencePieceModelWriter.Piece;
import io.llama2j.tokenizer.SentencePieceModelWriter.PieceType;
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

    /** A Llama 2-layout vocabulary: unk, bos, eos, 256 bytes, then a few normal pieces. */
    private static List<Piece> llamaLayout(String... normal) {
        List<Piece> pieces = new ArrayList<>();
        pieces.add(new Piece("<unk>", 0f, PieceType.UNKNOWN));
        pieces.add(new Piece("<s>", 0f, PieceType.CONTROL));
        pieces.add(new Piece("</s>", 0f, PieceType.CONTROL));
        for (int b = 0; b < 256; b++) {
            pieces.add(new Piece(String.format(Locale.ROOT, "<0x%02X>", b), 0f, PieceType.BYTE));
        }
        for (int i = 0; i < normal.length; i++) {
            pieces.add(new Piece(normal[i], -(float) i, PieceType.NORMAL));
        }
        return pieces;
    }

    private static TrainerSpec spec(int vocabSize) {
        return new TrainerSpec(List.of("corpus.txt"), vocabSize, 1.0f, 4192, 16, true, true, true, true, true, true,
                0, 1, 2, -1, "<unk>", "<s>", "</s>", "<pad>");
    }

    private static final NormalizerSpec IDENTITY = new NormalizerSpec("identity", true, true, true);

    @Test
    void piecesAreWrittenInIdOrderWithTextScoreAndType() {
        List<Piece> pieces = llamaLayout("▁t", "he", "▁a", "e");
        ProtoWire model = ProtoWire.parse(SentencePieceModelWriter.toBytes(pieces, spec(pieces.size()), IDENTITY));

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
        List<Piece> pieces = llamaLayout("▁t");
        ProtoWire first = ProtoWire.parse(SentencePieceModelWriter.toBytes(pieces, spec(pieces.size()), IDENTITY))
                .all(1).get(259).message();
        assertThat(Float.floatToRawIntBits(first.one(2).float32())).isEqualTo(0x80000000);
    }

    @Test
    void trainerSpecRecordsBpeAndTheLlamaOptions() {
        List<Piece> pieces = llamaLayout("▁t", "he");
        ProtoWire trainer = ProtoWire.parse(SentencePieceModelWriter.toBytes(pieces, spec(pieces.size()), IDENTITY))
                .one(2).message();
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
        assertThat(trainer.one(45).string()).isEqualTo("<unk>");
        assertThat(trainer.one(48).string()).isEqualTo("<pad>");
    }

    @Test
    void normalizerSpecIsTheIdentityRuleWithItsWhitespaceFlags() {
        List<Piece> pieces = llamaLayout("▁t");
        NormalizerSpec spec = new NormalizerSpec("identity", true, false, true);
        ProtoWire normalizer = ProtoWire.parse(SentencePieceModelWriter.toBytes(pieces, spec(pieces.size()), spec))
                .one(3).message();
        assertThat(normalizer.one(1).string()).isEqualTo("identity");
        assertThat(normalizer.one(3).varint()).as("add_dummy_prefix").isEqualTo(1);
        assertThat(normalizer.one(4).varint()).as("remove_extra_whitespaces").isEqualTo(0);
        assertThat(normalizer.one(5).varint()).as("escape_whitespaces").isEqualTo(1);
    }

    @Test
    void sentencePieceLoadsTheWrittenModelAndListsTheSamePieces(@TempDir Path dir) throws Exception {
        List<Piece> pieces = llamaLayout("▁t", "he", "▁the", "h", "e", "t", "▁");
        Path model = dir.resolve("tiny.model");
        SentencePieceModelWriter.write(model, pieces, spec(pieces.size()), IDENTITY);

        String vocab = SentencePieceTools.run("", "spm_export_vocab", "--model=" + model);
        List<String> lines = vocab.lines().toList();
        assertThat(lines).hasSize(pieces.size());
        for (int id = 0; id < pieces.size(); id++) {
            String[] cols = lines.get(id).split("\t");
            assertThat(cols[0]).isEqualTo(pieces.get(id).text());
            assertThat(Float.parseFloat(cols[1])).isEqualTo(pieces.get(id).score());
        }
        String encoded = SentencePieceTools.run("the thé\n", "spm_encode", "--model=" + model, "--output_format=piece");
        assertThat(encoded.strip()).as("é is not in the vocabulary: it falls back to its two UTF-8 bytes")
                .isEqualTo("▁the ▁t h <0xC3> <0xA9>");
    }

    @Test
    void rejectsAVocabularyWhoseSizeDisagreesWithTheSpec() {
        List<Piece> pieces = llamaLayout("▁t");
        assertThatThrownBy(() -> SentencePieceModelWriter.toBytes(pieces, spec(300), IDENTITY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vocab_size is 300 but 260 pieces");
    }

    @Test
    void rejectsDuplicatePieces() {
        List<Piece> pieces = llamaLayout("▁t", "▁t");
        assertThatThrownBy(() -> SentencePieceModelWriter.toBytes(pieces, spec(pieces.size()), IDENTITY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("piece 260 '▁t' is already defined");
    }

    @Test
    void rejectsSpecialIdsThatPointAtOtherPieces() {
        List<Piece> pieces = llamaLayout("▁t");
        TrainerSpec swapped = new TrainerSpec(List.of(), pieces.size(), 1.0f, 4192, 16, true, true, true, true, true,
                true, 0, 2, 1, -1, "<unk>", "<s>", "</s>", "<pad>");
        assertThatThrownBy(() -> SentencePieceModelWriter.toBytes(pieces, swapped, IDENTITY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bos_id 2 should be '<s>' but the piece is '</s>'");
    }

    @Test
    void rejectsEmptyPieces() {
        assertThatThrownBy(() -> new Piece("", 0f, PieceType.NORMAL))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must not be empty");
    }
}
