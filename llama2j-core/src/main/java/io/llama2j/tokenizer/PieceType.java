package io.llama2j.tokenizer;

/**
 * The kind of a vocabulary entry, numbered as SentencePiece's {@code ModelProto.SentencePiece.Type}
 * (sentencepiece_model.proto). GGUF's {@code tokenizer.ggml.token_type} uses the same numbers.
 */
public enum PieceType {
    /** An ordinary piece that BPE merges may produce. */
    NORMAL(1),
    /** The one unknown piece ({@code <unk>}). */
    UNKNOWN(2),
    /** BOS/EOS and the like: ids only, never produced from text, decoded as nothing. */
    CONTROL(3),
    /** Matched verbatim in the input before BPE and never merged with neighbours. */
    USER_DEFINED(4),
    /** In the vocabulary but resegmented into its parts whenever BPE produces it. */
    UNUSED(5),
    /** {@code <0xNN>}: one UTF-8 byte, for byte fallback. */
    BYTE(6);

    private final int protoNumber;

    PieceType(int protoNumber) {
        this.protoNumber = protoNumber;
    }

    /** The number SentencePiece and GGUF store for this type. */
    public int protoNumber() {
        return protoNumber;
    }

    /** The type stored as {@code number}; {@code where} names the file and field for the error. */
    public static PieceType fromProtoNumber(int number, String where) {
        for (PieceType t : values()) {
            if (t.protoNumber == number) return t;
        }
        throw new TokenizerFormatException(where + ": unknown piece type " + number
                + " (expected 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused or 6 byte)");
    }
}
