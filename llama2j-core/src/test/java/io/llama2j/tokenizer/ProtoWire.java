package io.llama2j.tokenizer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal protobuf wire-format reader for tests: splits a message into its fields so a
 * test can check field numbers, wire types and values of what a writer produced, without
 * trusting the writer's own code.
 */
record ProtoWire(List<Field> fields) {

    /** One field: its number, wire type and raw value (varint as long, fixed32/bytes as bytes). */
    record Field(int number, int wireType, long varint, byte[] bytes) {
        String string() {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        float float32() {
            return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getFloat();
        }

        ProtoWire message() {
            return parse(bytes);
        }
    }

    static ProtoWire parse(byte[] data) {
        List<Field> fields = new ArrayList<>();
        int[] at = {0};
        while (at[0] < data.length) {
            long tag = varint(data, at);
            int number = (int) (tag >>> 3);
            int wireType = (int) (tag & 7);
            switch (wireType) {
                case 0 -> fields.add(new Field(number, wireType, varint(data, at), null));
                case 2 -> {
                    int length = (int) varint(data, at);
                    byte[] value = java.util.Arrays.copyOfRange(data, at[0], at[0] + length);
                    at[0] += length;
                    fields.add(new Field(number, wireType, 0, value));
                }
                case 5 -> {
                    byte[] value = java.util.Arrays.copyOfRange(data, at[0], at[0] + 4);
                    at[0] += 4;
                    fields.add(new Field(number, wireType, 0, value));
                }
                default -> throw new IllegalArgumentException("unexpected wire type " + wireType + " for field " + number);
            }
        }
        return new ProtoWire(fields);
    }

    List<Field> all(int number) {
        return fields.stream().filter(f -> f.number() == number).toList();
    }

    Field one(int number) {
        List<Field> matches = all(number);
        if (matches.size() != 1) {
            throw new AssertionError("expected exactly one field " + number + ", found " + matches.size());
        }
        return matches.getFirst();
    }

    private static long varint(byte[] data, int[] at) {
        long result = 0;
        for (int shift = 0; ; shift += 7) {
            int b = data[at[0]++] & 0xFF;
            result |= (long) (b & 0x7F) << shift;
            if (b < 0x80) {
                return result;
            }
        }
    }
}
