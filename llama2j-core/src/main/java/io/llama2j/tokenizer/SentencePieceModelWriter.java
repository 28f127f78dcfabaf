package io.llama2j.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a {@link Vocabulary} as a SentencePiece {@code tokenizer.model}: a {@code ModelProto}
 * message of sentencepiece_model.proto (v0.1.97) in protobuf wire format, encoded here by hand
 * (the project has no protobuf runtime). {@link SentencePieceModelReader} reads it back, and so
 * does SentencePiece itself.
 *
 * <p>Fields written (numbers from sentencepiece_model.proto):
 * ModelProto {pieces = 1, trainer_spec = 2, normalizer_spec = 3};
 * SentencePiece {piece = 1, score = 2, type = 3};
 * TrainerSpec {input = 1, model_type = 3, vocab_size = 4, character_coverage = 10,
 * max_sentence_length = 18, max_sentencepiece_length = 20, split_by_unicode_script = 21,
 * split_by_whitespace = 22, split_by_number = 23, treat_whitespace_as_suffix = 24,
 * split_digits = 25, allow_whitespace_only_pieces = 26, byte_fallback = 35, unk_id = 40,
 * bos_id = 41, eos_id = 42, pad_id = 43, unk_surface = 44, unk_piece = 45, bos_piece = 46,
 * eos_piece = 47, pad_piece = 48};
 * NormalizerSpec {name = 1, add_dummy_prefix = 3, remove_extra_whitespaces = 4,
 * escape_whitespaces = 5}.
 * The identity normalizer has no precompiled_charsmap, so field 2 is left out.
 */
public final class SentencePieceModelWriter {

    /** TrainerSpec.ModelType value for byte-pair encoding. */
    public static final int MODEL_TYPE_BPE = 2;
    /** The only normalization rule a Llama 2 tokenizer uses (no character mapping). */
    public static final String IDENTITY_RULE = "identity";
    /** SentencePiece's default pad piece; Llama 2 has no pad id (-1), the name is still recorded. */
    public static final String PAD_PIECE = "<pad>";

    /**
     * How the vocabulary was trained: the TrainerSpec fields that are not already in the
     * {@link Vocabulary} (pieces, special ids, byte fallback). Splitting by Unicode script, by
     * number and by whitespace are always on, whitespace is a prefix, and there is no pad id, as
     * in every Llama 2 tokenizer.
     */
    public record TrainerSpec(List<String> inputs, float characterCoverage, int maxSentenceLength,
                              int maxPieceLength, boolean splitDigits, boolean allowWhitespaceOnlyPieces) {
        public TrainerSpec {
            inputs = List.copyOf(inputs);
        }
    }

    // Protobuf wire types (protobuf encoding guide, "Message Structure").
    private static final int WIRE_VARINT = 0;
    private static final int WIRE_LENGTH_DELIMITED = 2;
    private static final int WIRE_FIXED32 = 5;
    private static final int NO_PAD_ID = -1;

    private SentencePieceModelWriter() {}

    /** Writes the model to {@code file}, replacing it. */
    public static void write(Path file, Vocabulary vocabulary, TrainerSpec trainer) throws IOException {
        Files.write(file, toBytes(vocabulary, trainer));
    }

    /** The serialized ModelProto. */
    public static byte[] toBytes(Vocabulary vocabulary, TrainerSpec trainer) {
        if (vocabulary.bosId() < 0 || vocabulary.eosId() < 0) {
            throw new IllegalArgumentException(vocabulary.source() + ": a SentencePiece model for Llama 2 needs "
                    + "bos and eos pieces; bos id " + vocabulary.bosId() + ", eos id " + vocabulary.eosId());
        }
        if (!vocabulary.normalization().escapeWhitespaces()) {
            throw new IllegalArgumentException(vocabulary.source()
                    + ": SentencePiece's BPE models always escape spaces as ▁ (escape_whitespaces)");
        }
        ProtoBuffer model = new ProtoBuffer();
        for (int id = 0; id < vocabulary.size(); id++) {
            ProtoBuffer p = new ProtoBuffer();
            p.string(1, vocabulary.pieces()[id]);
            p.float32(2, vocabulary.scores()[id]);
            // NORMAL is the proto default; SentencePiece's own trainer leaves it out too.
            if (vocabulary.types()[id] != PieceType.NORMAL) {
                p.int32(3, vocabulary.types()[id].protoNumber());
            }
            model.message(1, p);
        }
        model.message(2, trainerSpec(vocabulary, trainer));
        model.message(3, normalizerSpec(vocabulary.normalization()));
        return model.toByteArray();
    }

    private static ProtoBuffer trainerSpec(Vocabulary v, TrainerSpec t) {
        ProtoBuffer b = new ProtoBuffer();
        for (String input : t.inputs()) {
            b.string(1, input);
        }
        b.int32(3, MODEL_TYPE_BPE);
        b.int32(4, v.size());
        b.float32(10, t.characterCoverage());
        b.int32(18, t.maxSentenceLength());
        b.int32(20, t.maxPieceLength());
        b.bool(21, true);  // split_by_unicode_script
        b.bool(22, true);  // split_by_whitespace
        b.bool(23, true);  // split_by_number
        b.bool(24, false); // treat_whitespace_as_suffix: ▁ is a prefix
        b.bool(25, t.splitDigits());
        b.bool(26, t.allowWhitespaceOnlyPieces());
        b.bool(35, v.byteFallback());
        b.int32(40, v.unkId());
        b.int32(41, v.bosId());
        b.int32(42, v.eosId());
        b.int32(43, NO_PAD_ID);
        b.string(44, v.unkSurface());
        b.string(45, v.pieces()[v.unkId()]);
        b.string(46, v.pieces()[v.bosId()]);
        b.string(47, v.pieces()[v.eosId()]);
        b.string(48, PAD_PIECE);
        return b;
    }

    private static ProtoBuffer normalizerSpec(Vocabulary.Normalization n) {
        ProtoBuffer b = new ProtoBuffer();
        b.string(1, IDENTITY_RULE);
        b.bool(3, n.addDummyPrefix());
        b.bool(4, n.removeExtraWhitespaces());
        b.bool(5, n.escapeWhitespaces());
        return b;
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
