package io.llama2j.tokenizer;

import io.llama2j.gguf.GgufFile;

import java.util.Arrays;

/**
 * Reads the vocabulary that GGUF files carry in their metadata (llama.cpp
 * gguf-py/gguf/constants.py, "tokenizer.ggml.*"). Only {@code tokenizer.ggml.model = llama}
 * (SentencePiece BPE) is supported. Token types use SentencePiece's numbers. Absent optional keys
 * take llama.cpp's defaults for this model: scores 0, type normal, UNK 0, BOS 1, EOS 2,
 * add_bos_token true, add_space_prefix true, remove_extra_whitespaces false.
 */
final class GgufTokenizerReader {
    static final String MODEL = "tokenizer.ggml.model";
    static final String TOKENS = "tokenizer.ggml.tokens";
    static final String SCORES = "tokenizer.ggml.scores";
    static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    static final String BOS_ID = "tokenizer.ggml.bos_token_id";
    static final String EOS_ID = "tokenizer.ggml.eos_token_id";
    static final String UNK_ID = "tokenizer.ggml.unknown_token_id";
    static final String ADD_BOS = "tokenizer.ggml.add_bos_token";
    static final String ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";
    static final String REMOVE_EXTRA_WHITESPACES = "tokenizer.ggml.remove_extra_whitespaces";
    private static final String SENTENCEPIECE_MODEL = "llama";
    private static final int DEFAULT_UNK_ID = 0;
    private static final int DEFAULT_BOS_ID = 1;
    private static final int DEFAULT_EOS_ID = 2;

    private GgufTokenizerReader() {}

    static Vocabulary read(GgufFile gguf) {
        String source = gguf.path().toString();
        String model = gguf.getString(MODEL);
        if (!model.equals(SENTENCEPIECE_MODEL)) {
            throw new TokenizerFormatException(source + ": metadata " + MODEL + " is \"" + model
                    + "\", only \"llama\" (SentencePiece BPE) is supported");
        }
        String[] tokens = gguf.getStringArray(TOKENS);
        int n = tokens.length;
        float[] scores = gguf.contains(SCORES) ? gguf.getFloatArray(SCORES) : new float[n];
        int[] typeNumbers = gguf.contains(TOKEN_TYPE) ? gguf.getIntArray(TOKEN_TYPE) : null;
        if (scores.length != n || (typeNumbers != null && typeNumbers.length != n)) {
            throw new TokenizerFormatException(source + ": metadata " + TOKENS + " has " + n + " entries but "
                    + SCORES + " has " + scores.length
                    + (typeNumbers == null ? "" : " and " + TOKEN_TYPE + " has " + typeNumbers.length));
        }
        PieceType[] types = new PieceType[n];
        Arrays.fill(types, PieceType.NORMAL);
        boolean hasBytes = false;
        if (typeNumbers != null) {
            for (int id = 0; id < n; id++) {
                types[id] = PieceType.fromProtoNumber(typeNumbers[id], source + ": metadata " + TOKEN_TYPE + "[" + id + "]");
                hasBytes |= types[id] == PieceType.BYTE;
            }
        }
        int unkId = optionalInt(gguf, UNK_ID, DEFAULT_UNK_ID);
        if (typeNumbers == null && unkId >= 0 && unkId < n) types[unkId] = PieceType.UNKNOWN;
        var normalization = new Vocabulary.Normalization(
                optionalBoolean(gguf, ADD_SPACE_PREFIX, true),
                optionalBoolean(gguf, REMOVE_EXTRA_WHITESPACES, false), true);
        return new Vocabulary(source, tokens, scores, types, unkId, optionalInt(gguf, BOS_ID, DEFAULT_BOS_ID),
                optionalInt(gguf, EOS_ID, DEFAULT_EOS_ID), normalization, hasBytes, Vocabulary.DEFAULT_UNK_SURFACE,
                optionalBoolean(gguf, ADD_BOS, true));
    }

    private static int optionalInt(GgufFile gguf, String key, int fallback) {
        return gguf.contains(key) ? gguf.getInt(key) : fallback;
    }

    private static boolean optionalBoolean(GgufFile gguf, String key, boolean fallback) {
        return gguf.contains(key) ? gguf.getBoolean(key) : fallback;
    }
}
