package io.llama2j.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads llama2.c's {@code tokenizer.bin} (written by llama2.c tokenizer.py {@code export}):
 * int32 max_token_length, then per piece float32 score, int32 byte length and the UTF-8 bytes,
 * all little-endian, until the end of the file. The export writes '▁' as a space and BOS/EOS as
 * "\n&lt;s&gt;\n" / "\n&lt;/s&gt;\n" and stores no piece types, so they are derived back: id 0 is
 * UNK, 1 BOS and 2 EOS (llama2.c's fixed ids, control pieces), {@code <0xNN>} pieces are bytes,
 * everything else is normal. The normalizer is Llama's (dummy prefix, spaces kept).
 */
public final class Llama2cTokenizerReader {
    static final int UNK_ID = 0;
    static final int BOS_ID = 1;
    static final int EOS_ID = 2;
    private static final String EXPORTED_BOS = "\n<s>\n";
    private static final String EXPORTED_EOS = "\n</s>\n";
    private static final int HEADER_BYTES = 4;
    private static final String NOT_A_TOKENIZER_HINT = " (is this a llama2.c model checkpoint? Its vocabulary is a"
            + " separate tokenizer.bin)";
    private static final int ENTRY_HEADER_BYTES = 8;
    /** Longer than any piece a SentencePiece trainer writes (Llama 2: 27 bytes); guards detection. */
    private static final int MAX_PLAUSIBLE_TOKEN_LENGTH = 1 << 16;

    private Llama2cTokenizerReader() {}

    public static Vocabulary read(Path file) throws IOException {
        return parse(Files.readAllBytes(file), file.toString());
    }

    /** Whether the bytes start like a tokenizer.bin (a plausible max length and first entry). */
    static boolean looksLikeLlama2c(byte[] bytes) {
        if (bytes.length < HEADER_BYTES + ENTRY_HEADER_BYTES) return false;
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int maxLength = b.getInt(0);
        int firstLength = b.getInt(HEADER_BYTES + 4);
        return maxLength > 0 && maxLength <= MAX_PLAUSIBLE_TOKEN_LENGTH && firstLength > 0 && firstLength <= maxLength;
    }

    public static Vocabulary parse(byte[] bytes, String source) {
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < HEADER_BYTES) {
            throw new TokenizerFormatException(source + ": " + bytes.length
                    + " bytes is too short for a llama2.c tokenizer.bin (4-byte max_token_length header)");
        }
        int maxTokenLength = in.getInt();
        if (maxTokenLength <= 0) {
            throw new TokenizerFormatException(source + ": max_token_length is " + maxTokenLength + ", expected > 0");
        }
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        while (in.hasRemaining()) {
            int id = pieces.size();
            if (in.remaining() < ENTRY_HEADER_BYTES) {
                throw new TokenizerFormatException(source + ": piece " + id + " is truncated at byte " + in.position()
                        + " (" + in.remaining() + " bytes left, an entry needs at least " + ENTRY_HEADER_BYTES + ")");
            }
            float score = in.getFloat();
            int length = in.getInt();
            if (length <= 0 || length > maxTokenLength || length > in.remaining()) {
                throw new TokenizerFormatException(source + ": piece " + id + " has length " + length
                        + ", expected 1.." + maxTokenLength + " (max_token_length) with " + in.remaining()
                        + " bytes left" + (id <= EOS_ID ? NOT_A_TOKENIZER_HINT : ""));
            }
            String text;
            try {
                text = decoder.decode(in.slice(in.position(), length)).toString();
            } catch (CharacterCodingException e) {
                throw new TokenizerFormatException(source + ": piece " + id + " is not valid UTF-8");
            }
            in.position(in.position() + length);
            pieces.add(text);
            scores.add(score);
        }
        if (pieces.size() <= EOS_ID) {
            throw new TokenizerFormatException(source + ": " + pieces.size()
                    + " pieces; a llama2.c vocabulary needs at least UNK, BOS and EOS");
        }
        int n = pieces.size();
        String[] pieceArray = new String[n];
        float[] scoreArray = new float[n];
        PieceType[] types = new PieceType[n];
        boolean hasBytes = false;
        for (int id = 0; id < n; id++) {
            String text = pieces.get(id);
            scoreArray[id] = scores.get(id);
            if (id == BOS_ID || id == EOS_ID) {
                String expected = id == BOS_ID ? EXPORTED_BOS : EXPORTED_EOS;
                if (!text.equals(expected)) {
                    throw new TokenizerFormatException(source + ": piece " + id + " is " + quote(text)
                            + ", expected " + quote(expected) + " (llama2.c's export of "
                            + (id == BOS_ID ? "BOS" : "EOS") + ")");
                }
                pieceArray[id] = text.strip();
                types[id] = PieceType.CONTROL;
            } else if (id == UNK_ID) {
                pieceArray[id] = text;
                types[id] = PieceType.UNKNOWN;
            } else if (Vocabulary.byteValue(text) >= 0) {
                pieceArray[id] = text;
                types[id] = PieceType.BYTE;
                hasBytes = true;
            } else {
                pieceArray[id] = text.replace(' ', '\u2581');
                types[id] = PieceType.NORMAL;
            }
        }
        return new Vocabulary(source, pieceArray, scoreArray, types, UNK_ID, BOS_ID, EOS_ID,
                Vocabulary.Normalization.LLAMA, hasBytes, Vocabulary.DEFAULT_UNK_SURFACE, true);
    }

    private static String quote(String s) {
        return "\"" + s.replace("\n", "\\n") + "\"";
    }
}
