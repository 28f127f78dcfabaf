package io.llama2j.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Writes a SentencePiece {@code tokenizer.model}: a {@code ModelProto} message of
 * sentencepiece_model.proto (v0.1.97) in protobuf wire format, encoded here by hand so the
 * project needs no protobuf runtime.
 *
 * <p>Fields written (numbers from sentencepiece_model.proto):
 * ModelProto {pieces = 1, trainer_spec = 2, normalizer_spec = 3};
 * SentencePiece {piece = 1, score = 2, type = 3};
 * TrainerSpec {input = 1, model_type = 3, vocab_size = 4, character_coverage = 10,
 * max_sentence_length = 18, max_sentencepiece_length = 20, split_by_unicode_script = 21,
 * split_by_whitespace = 22, split_by_number = 23, treat_whitespace_as_suffix = 24,
 * split_digits = 25, allow_whitespace_only_pieces = 26, byte_fallback = 35, unk_id = 40,
 * bos_id = 41, eos_id = 42, pad_id = 43, unk_piece = 45, bos_piece = 46, eos_piece = 47,
 * pad_piece = 48};
 * NormalizerSpec {name = 1, add_dummy_prefix = 3, remove_extra_whitespaces = 4,
 * escape_whitespaces = 5}.
 * The identity normalizer has no precompiled_charsmap, so field 2 is left out.
 */
public final class SentencePieceModelWriter {

    /** ModelProto.SentencePiece.Type; the number is the proto enum value. */
    public enum PieceType {
        NORMAL(1), UNKNOWN(2), CONTROL(3), USER_DEFINED(4), UNUSED(5), BYTE(6);

        public final int protoValue;

        PieceType(int protoValue) {
            this.protoValue = protoValue;
        }
    }

    /** One vocabulary entry; its id is its index in the piece list. */
    public record Piece(String text, float score, PieceType type) {
        public Piece {
            Objects.requireNonNull(text, "text");
            Objects.requireNonNull(type, "type");
            if (text.isEmpty()) {
                throw new IllegalArgumentException("a SentencePiece piece must not be empty");
            }
        }
    }

    /** TrainerSpec.ModelType value for byte-pair encoding. */
    public static final int MODEL_TYPE_BPE = 2;

    /**
     * The TrainerSpec fields a BPE model records: how it was trained and which ids are special.
     * A negative id (pad in Llama 2) means "no such piece", as in SentencePiece.
     */
    public record TrainerSpec(List<String> inputs, int vocabSize, float characterCoverage,
                              int maxSentenceLength, int maxPieceLength,
                              boolean splitByUnicodeScript, boolean splitByWhitespace,
                              boolean splitByNumber, boolean splitDigits,
                              boolean allowWhitespaceOnlyPieces, boolean byteFallback,
                              int unkId, int bosId, int eosId, int padId,
                              String unkPiece, String bosPiece, String eosPiece, String padPiece) {
        public TrainerSpec {
            inputs = List.copyOf(inputs);
            Objects.requireNonNull(unkPiece, "unkPiece");
            Objects.requireNonNull(bosPiece, "bosPiece");
            Objects.requireNonNull(eosPiece, "eosPiece");
            Objects.requireNonNull(padPiece, "padPiece");
        }
    }

    /** The NormalizerSpec fields: the rule name and the whitespace handling. */
    public record NormalizerSpec(String name, boolean addDummyPrefix, boolean removeExtraWhitespaces,
                                 boolean escapeWhitespaces) {
        public NormalizerSpec {
            Objects.requireNonNull(name, "name");
        }
    }

    // Protobuf wire types (protobuf encoding guide, "Message Structure").
    private static final int WIRE_VARINT = 0;
    private static final int WIRE_LENGTH_DELIMITED = 2;
    private static final int WIRE_FIXED32 = 5;

    private SentencePieceModelWriter() {}

    /** Writes the model to {@code file}, replacing it. */
    public static void write(Path file, List<Piece> pieces, TrainerSpec trainer, NormalizerSpec normalizer)
            throws IOException {
        byte[] bytes = toBytes(pieces, trainer, normalizer);
        Files.write(file, bytes);
    }

    /** The serialized ModelProto. */
    public static byte[] toBytes(List<Piece> pieces, TrainerSpec trainer, NormalizerSpec normalizer) {
        validate(pieces, trainer);
        ProtoBuffer model = new ProtoBuffer();
        for (Piece piece : pieces) {
            ProtoBuffer p = new ProtoBuffer();
            p.string(1, piece.text());
            p.float32(2, piece.score());
            // NORMAL is the proto default; SentencePiece's own trainer leaves it out too.
            if (piece.type() != PieceType.NORMAL) {
                p.int32(3, piece.type().protoValue);
            }
            model.message(1, p);
        }
        model.message(2, trainerSpec(trainer));
        model.message(3, normalizerSpec(normalizer));
        return model.toByteArray();
    }

    private static ProtoBuffer trainerSpec(TrainerSpec t) {
        ProtoBuffer b = new ProtoBuffer();
        for (String input : t.inputs()) {
            b.string(1, input);
        }
        b.int32(3, MODEL_TYPE_BPE);
        b.int32(4, t.vocabSize());
        b.float32(10, t.characterCoverage());
        b.int32(18, t.maxSentenceLength());
        b.int32(20, t.maxPieceLength());
        b.bool(21, t.splitByUnicodeScript());
        b.bool(22, t.splitByWhitespace());
        b.bool(23, t.splitByNumber());
        b.bool(24, false); // treat_whitespace_as_suffix: ▁ is always a prefix here, as in Llama 2
        b.bool(25, t.splitDigits());
        b.bool(26, t.allowWhitespaceOnlyPieces());
        b.bool(35, t.byteFallback());
        b.int32(40, t.unkId());
        b.int32(41, t.bosId());
        b.int32(42, t.eosId());
        b.int32(43, t.padId());
        b.string(45, t.unkPiece());
        b.string(46, t.bosPiece());
        b.string(47, t.eosPiece());
        b.string(48, t.padPiece());
        return b;
    }

    private static ProtoBuffer normalizerSpec(NormalizerSpec n) {
        ProtoBuffer b = new ProtoBuffer();
        b.string(1, n.name());
        b.bool(3, n.addDummyPrefix());
        b.bool(4, n.removeExtraWhitespaces());
        b.bool(5, n.escapeWhitespaces());
        return b;
    }

    /** The checks SentencePiece's own loader makes, so a written model always loads. */
    private static void validate(List<Piece> pieces, TrainerSpec trainer) {
        if (pieces.size() != trainer.vocabSize()) {
            throw new IllegalArgumentException("vocab_size is " + trainer.vocabSize() + " but "
                    + pieces.size() + " pieces were given");
        }
        Set<String> seen = new HashSet<>();
        int unknowns = 0;
        for (int id = 0; id < pieces.size(); id++) {
            Piece piece = pieces.get(id);
            if (!seen.add(piece.text())) {
                throw new IllegalArgumentException("piece " + id + " '" + piece.text() + "' is already defined");
            }
            if (piece.type() == PieceType.UNKNOWN) {
                unknowns++;
            }
        }
        if (unknowns != 1) {
            throw new IllegalArgumentException("a model needs exactly one UNKNOWN piece, found " + unknowns);
        }
        requireSpecial("unk_id", trainer.unkId(), trainer.unkPiece(), pieces, true);
        requireSpecial("bos_id", trainer.bosId(), trainer.bosPiece(), pieces, false);
        requireSpecial("eos_id", trainer.eosId(), trainer.eosPiece(), pieces, false);
        requireSpecial("pad_id", trainer.padId(), trainer.padPiece(), pieces, false);
    }

    private static void requireSpecial(String field, int id, String expected, List<Piece> pieces, boolean required) {
        if (id < 0 && !required) {
            return;
        }
        if (id < 0 || id >= pieces.size()) {
            throw new IllegalArgumentException(field + " " + id + " is outside the vocabulary of " + pieces.size());
        }
        if (!pieces.get(id).text().equals(expected)) {
            throw new IllegalArgumentException(field + " " + id + " should be '" + expected + "' but the piece is '"
                    + pieces.get(id).text() + "'");
        }
    }

    /** A growing protobuf message body: tag + value per field, nested messages length-prefixed. */
    private static final class ProtoBuffer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void int32(int field, int value) {
            tag(field, WIRE_VARINT);
            // int32 is sign-extended to 64 bits on the wire: -1 takes ten bytes.
            varint(value);
        }

        void bool(int field, boolean value) {
            tag(field, WIRE_VARINT);
            varint(value ? 1 : 0);
        }

        void float32(int field, float value) {
            tag(field, WIRE_FIXED32);
            int bits = Float.floatToRawIntBits(value);
            for (int shift = 0; shift < 32; shift += 8) {
                out.write(bits >>> shift);
            }
        }

        void string(int field, String value) {
            bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        void message(int field, ProtoBuffer message) {
            bytes(field, message.toByteArray());
        }

        private void bytes(int field, byte[] value) {
            tag(field, WIRE_LENGTH_DELIMITED);
            varint(value.length);
            out.writeBytes(value);
        }

        private void tag(int field, int wireType) {
            varint(((long) field << 3) | wireType);
        }

        private void varint(long value) {
            while ((value & ~0x7FL) != 0) {
                out.write((int) ((value & 0x7F) | 0x80));
                value >>>= 7;
            }
            out.write((int) value);
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }
    }
}
