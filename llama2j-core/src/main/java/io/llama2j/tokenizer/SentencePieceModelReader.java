package io.llama2j.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a SentencePiece {@code tokenizer.model}: a serialized {@code ModelProto}
 * (sentencepiece_model.proto). Only the fields a BPE tokenizer needs are read; the others are
 * skipped. Field numbers below are the .proto's.
 */
public final class SentencePieceModelReader {
    // ModelProto
    private static final int MODEL_PIECES = 1;
    private static final int MODEL_TRAINER_SPEC = 2;
    private static final int MODEL_NORMALIZER_SPEC = 3;
    // ModelProto.SentencePiece
    private static final int PIECE_TEXT = 1;
    private static final int PIECE_SCORE = 2;
    private static final int PIECE_TYPE = 3;
    // TrainerSpec
    private static final int TRAINER_MODEL_TYPE = 3;
    private static final int TRAINER_TREAT_WHITESPACE_AS_SUFFIX = 24;
    private static final int TRAINER_BYTE_FALLBACK = 35;
    private static final int TRAINER_UNK_SURFACE = 44;
    private static final int TRAINER_BOS_PIECE = 46;
    private static final int TRAINER_EOS_PIECE = 47;
    private static final int MODEL_TYPE_BPE = 2;
    // NormalizerSpec
    private static final int NORMALIZER_NAME = 1;
    private static final int NORMALIZER_PRECOMPILED_CHARSMAP = 2;
    private static final int NORMALIZER_ADD_DUMMY_PREFIX = 3;
    private static final int NORMALIZER_REMOVE_EXTRA_WHITESPACES = 4;
    private static final int NORMALIZER_ESCAPE_WHITESPACES = 5;

    private SentencePieceModelReader() {}

    public static Vocabulary read(Path file) throws IOException {
        return parse(Files.readAllBytes(file), file.toString());
    }

    /** Parses the bytes of a tokenizer.model; {@code source} names it in error messages. */
    public static Vocabulary parse(byte[] bytes, String source) {
        ProtobufReader in = new ProtobufReader(bytes, 0, bytes.length, source);
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<PieceType> types = new ArrayList<>();
        Trainer trainer = new Trainer();
        Normalizer normalizer = new Normalizer();
        while (in.hasMore()) {
            long tag = in.readTag();
            switch ((int) (tag >>> 3)) {
                case MODEL_PIECES -> {
                    in.expectWireType(tag, ProtobufReader.WIRE_LENGTH_DELIMITED, "pieces");
                    readPiece(in.readMessage("piece " + pieces.size()), pieces, scores, types);
                }
                case MODEL_TRAINER_SPEC -> {
                    in.expectWireType(tag, ProtobufReader.WIRE_LENGTH_DELIMITED, "trainer_spec");
                    trainer.read(in.readMessage("trainer_spec"));
                }
                case MODEL_NORMALIZER_SPEC -> {
                    in.expectWireType(tag, ProtobufReader.WIRE_LENGTH_DELIMITED, "normalizer_spec");
                    normalizer.read(in.readMessage("normalizer_spec"));
                }
                default -> in.skip(tag);
            }
        }
        if (pieces.isEmpty()) {
            throw new TokenizerFormatException(source + ": no pieces (is this a SentencePiece model?)");
        }
        if (trainer.modelType != MODEL_TYPE_BPE) {
            throw new TokenizerFormatException(source + ": trainer_spec.model_type is " + trainer.modelType
                    + ", only BPE (2) is supported (Llama 2 uses BPE)");
        }
        if (trainer.treatWhitespaceAsSuffix) {
            throw new TokenizerFormatException(source + ": trainer_spec.treat_whitespace_as_suffix is not supported");
        }
        if (normalizer.hasCharsMap) {
            throw new TokenizerFormatException(source + ": normalizer_spec '" + normalizer.name
                    + "' has a precompiled character map; only the identity normalizer is supported");
        }
        int n = pieces.size();
        String[] pieceArray = pieces.toArray(new String[0]);
        float[] scoreArray = new float[n];
        for (int i = 0; i < n; i++) scoreArray[i] = scores.get(i);
        PieceType[] typeArray = types.toArray(new PieceType[0]);
        int unkId = -1;
        for (int i = 0; i < n; i++) {
            if (typeArray[i] == PieceType.UNKNOWN) { unkId = i; break; }
        }
        // SentencePiece's bos_id()/eos_id() look the configured piece up among the control pieces.
        int bosId = findReserved(pieceArray, typeArray, trainer.bosPiece);
        int eosId = findReserved(pieceArray, typeArray, trainer.eosPiece);
        var normalization = new Vocabulary.Normalization(normalizer.addDummyPrefix,
                normalizer.removeExtraWhitespaces, normalizer.escapeWhitespaces);
        return new Vocabulary(source, pieceArray, scoreArray, typeArray, unkId, bosId, eosId, normalization,
                trainer.byteFallback, trainer.unkSurface, true);
    }

    private static int findReserved(String[] pieces, PieceType[] types, String piece) {
        for (int i = 0; i < pieces.length; i++) {
            if (pieces[i].equals(piece) && !Vocabulary.producibleByBpe(types[i])) return i;
        }
        return -1;
    }

    private static void readPiece(ProtobufReader in, List<String> pieces, List<Float> scores, List<PieceType> types) {
        String text = null;
        float score = 0f;
        PieceType type = PieceType.NORMAL; // the .proto default
        while (in.hasMore()) {
            long tag = in.readTag();
            switch ((int) (tag >>> 3)) {
                case PIECE_TEXT -> {
                    in.expectWireType(tag, ProtobufReader.WIRE_LENGTH_DELIMITED, "piece");
                    text = in.readString("piece");
                }
                case PIECE_SCORE -> {
                    in.expectWireType(tag, ProtobufReader.WIRE_FIXED32, "score");
                    score = in.readFloat();
                }
                case PIECE_TYPE -> {
                    in.expectWireType(tag, ProtobufReader.WIRE_VARINT, "type");
                    type = PieceType.fromProtoNumber(in.readInt32(), "piece " + pieces.size());
                }
                default -> in.skip(tag);
            }
        }
        if (text == null) throw in.error("piece " + pieces.size() + " has no text");
        pieces.add(text);
        scores.add(score);
        types.add(type);
    }

    /** The TrainerSpec fields we use, with the .proto defaults. */
    private static final class Trainer {
        int modelType = 1; // UNIGRAM is the .proto default
        boolean treatWhitespaceAsSuffix;
        boolean byteFallback;
        String unkSurface = Vocabulary.DEFAULT_UNK_SURFACE;
        String bosPiece = "<s>";
        String eosPiece = "</s>";

        void read(ProtobufReader in) {
            while (in.hasMore()) {
                long tag = in.readTag();
                switch ((int) (tag >>> 3)) {
                    case TRAINER_MODEL_TYPE -> { in.expectWireType(tag, 0, "model_type"); modelType = in.readInt32(); }
                    case TRAINER_TREAT_WHITESPACE_AS_SUFFIX -> {
                        in.expectWireType(tag, 0, "treat_whitespace_as_suffix");
                        treatWhitespaceAsSuffix = in.readBool();
                    }
                    case TRAINER_BYTE_FALLBACK -> { in.expectWireType(tag, 0, "byte_fallback"); byteFallback = in.readBool(); }
                    case TRAINER_UNK_SURFACE -> { in.expectWireType(tag, 2, "unk_surface"); unkSurface = in.readString("unk_surface"); }
                    case TRAINER_BOS_PIECE -> { in.expectWireType(tag, 2, "bos_piece"); bosPiece = in.readString("bos_piece"); }
                    case TRAINER_EOS_PIECE -> { in.expectWireType(tag, 2, "eos_piece"); eosPiece = in.readString("eos_piece"); }
                    default -> in.skip(tag);
                }
            }
        }
    }

    /** The NormalizerSpec fields we use, with the .proto defaults. */
    private static final class Normalizer {
        String name = "";
        boolean hasCharsMap;
        boolean addDummyPrefix = true;
        boolean removeExtraWhitespaces = true;
        boolean escapeWhitespaces = true;

        void read(ProtobufReader in) {
            while (in.hasMore()) {
                long tag = in.readTag();
                switch ((int) (tag >>> 3)) {
                    case NORMALIZER_NAME -> { in.expectWireType(tag, 2, "name"); name = in.readString("name"); }
                    case NORMALIZER_PRECOMPILED_CHARSMAP -> {
                        in.expectWireType(tag, 2, "precompiled_charsmap");
                        hasCharsMap = in.readBytesLength("precompiled_charsmap") > 0;
                    }
                    case NORMALIZER_ADD_DUMMY_PREFIX -> {
                        in.expectWireType(tag, 0, "add_dummy_prefix");
                        addDummyPrefix = in.readBool();
                    }
                    case NORMALIZER_REMOVE_EXTRA_WHITESPACES -> {
                        in.expectWireType(tag, 0, "remove_extra_whitespaces");
                        removeExtraWhitespaces = in.readBool();
                    }
                    case NORMALIZER_ESCAPE_WHITESPACES -> {
                        in.expectWireType(tag, 0, "escape_whitespaces");
                        escapeWhitespaces = in.readBool();
                    }
                    default -> in.skip(tag);
                }
            }
        }
    }
}
