package io.llama2j.tokenizer;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;

/**
 * A minimal reader of the protobuf wire format (protobuf.dev/programming-guides/encoding):
 * varints, fixed32/64 and length-delimited fields, each checked against the bytes that remain
 * so that a corrupt file gives a clear error instead of a huge allocation or an index error.
 */
final class ProtobufReader {
    static final int WIRE_VARINT = 0;
    static final int WIRE_FIXED64 = 1;
    static final int WIRE_LENGTH_DELIMITED = 2;
    static final int WIRE_FIXED32 = 5;

    /** A varint never takes more than 10 bytes (64 bits, 7 per byte). */
    private static final int MAX_VARINT_BYTES = 10;

    private final byte[] bytes;
    private final String where;
    private int pos;
    private final int limit;

    ProtobufReader(byte[] bytes, int offset, int limit, String where) {
        this.bytes = bytes;
        this.pos = offset;
        this.limit = limit;
        this.where = where;
    }

    boolean hasMore() {
        return pos < limit;
    }

    int position() {
        return pos;
    }

    /** The next field's tag (field number << 3 | wire type). */
    long readTag() {
        long tag = readVarint();
        if ((tag >>> 3) == 0) {
            throw error("field number 0 in tag " + tag);
        }
        return tag;
    }

    long readVarint() {
        long result = 0;
        for (int i = 0; i < MAX_VARINT_BYTES; i++) {
            if (pos >= limit) throw error("truncated varint");
            int b = bytes[pos++] & 0xFF;
            result |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) return result;
        }
        throw error("varint longer than " + MAX_VARINT_BYTES + " bytes");
    }

    /** A varint that must fit an int32 field (negative int32 values take 10 bytes on the wire). */
    int readInt32() {
        return (int) readVarint();
    }

    boolean readBool() {
        return readVarint() != 0;
    }

    float readFloat() {
        return Float.intBitsToFloat(readFixed32());
    }

    int readFixed32() {
        require(4, "fixed32");
        int v = (bytes[pos] & 0xFF) | (bytes[pos + 1] & 0xFF) << 8 | (bytes[pos + 2] & 0xFF) << 16
                | (bytes[pos + 3] & 0xFF) << 24;
        pos += 4;
        return v;
    }

    /** The length of the length-delimited field that follows, checked against the remaining bytes. */
    int readLength(String field) {
        long length = readVarint();
        if (length < 0 || length > limit - pos) {
            throw error(field + " has length " + length + " but only " + (limit - pos) + " bytes remain");
        }
        return (int) length;
    }

    /** A nested message: a reader over its bytes; this reader moves past it. */
    ProtobufReader readMessage(String field) {
        int length = readLength(field);
        ProtobufReader nested = new ProtobufReader(bytes, pos, pos + length, where + " " + field);
        pos += length;
        return nested;
    }

    String readString(String field) {
        int length = readLength(field);
        try {
            String s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, pos, length)).toString();
            pos += length;
            return s;
        } catch (CharacterCodingException e) {
            throw error(field + " is not valid UTF-8");
        }
    }

    int readBytesLength(String field) {
        int length = readLength(field);
        pos += length;
        return length;
    }

    /** Skips a field we do not use. Groups (wire types 3, 4) are not used by SentencePiece. */
    void skip(long tag) {
        int wireType = (int) (tag & 7);
        switch (wireType) {
            case WIRE_VARINT -> readVarint();
            case WIRE_FIXED64 -> { require(8, "fixed64"); pos += 8; }
            case WIRE_LENGTH_DELIMITED -> readBytesLength("field " + (tag >>> 3));
            case WIRE_FIXED32 -> { require(4, "fixed32"); pos += 4; }
            default -> throw error("field " + (tag >>> 3) + " has unsupported wire type " + wireType);
        }
    }

    /** Checks that {@code tag} has the wire type the schema gives the field. */
    void expectWireType(long tag, int wireType, String field) {
        if ((tag & 7) != wireType) {
            throw error(field + " has wire type " + (tag & 7) + ", expected " + wireType);
        }
    }

    private void require(int n, String what) {
        if (limit - pos < n) throw error("truncated " + what + " (" + (limit - pos) + " of " + n + " bytes)");
    }

    TokenizerFormatException error(String message) {
        return new TokenizerFormatException(where + ": " + message + " at byte " + pos);
    }
}
