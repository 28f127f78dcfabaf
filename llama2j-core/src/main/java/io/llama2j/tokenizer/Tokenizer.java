package io.llama2j.tokenizer;

import io.llama2j.gguf.GgufFile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

/**
 * The Llama 2 tokenizer: SentencePiece BPE with byte fallback, identical in its ids to
 * SentencePiece itself. One type, loaded from wherever the vocabulary lives:
 * {@code tokenizer.model} (SentencePiece), llama2.c {@code tokenizer.bin}, Hugging Face
 * {@code tokenizer.json} or GGUF metadata; {@link #load(Path)} tells them apart by content.
 * Immutable and thread-safe.
 */
public final class Tokenizer {
    private static final byte[] GGUF_MAGIC = {'G', 'G', 'U', 'F'};
    /** The first byte of a ModelProto: field 1 (pieces), wire type 2. */
    private static final int PROTOBUF_PIECES_TAG = 0x0A;

    private final Vocabulary vocabulary;
    private final BpeEncoder encoder;
    private final PieceTable allPieces;

    private Tokenizer(Vocabulary vocabulary) {
        this.vocabulary = vocabulary;
        this.encoder = new BpeEncoder(vocabulary);
        var map = new java.util.HashMap<String, Integer>();
        // SentencePiece's PieceToId prefers producible pieces over reserved ones of the same text.
        for (int id = vocabulary.size() - 1; id >= 0; id--) {
            if (!Vocabulary.producibleByBpe(vocabulary.types()[id])) map.put(vocabulary.pieces()[id], id);
        }
        for (int id = vocabulary.size() - 1; id >= 0; id--) {
            if (Vocabulary.producibleByBpe(vocabulary.types()[id])) map.put(vocabulary.pieces()[id], id);
        }
        this.allPieces = new PieceTable(map);
    }

    public static Tokenizer of(Vocabulary vocabulary) {
        return new Tokenizer(vocabulary);
    }

    /**
     * Loads a tokenizer from a file, recognised by its content: GGUF (magic "GGUF"), Hugging Face
     * tokenizer.json ('{'), SentencePiece tokenizer.model (protobuf) or llama2.c tokenizer.bin;
     * or from a folder holding tokenizer.model or tokenizer.json.
     */
    public static Tokenizer load(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            for (String name : List.of("tokenizer.model", "tokenizer.json")) {
                Path candidate = path.resolve(name);
                if (Files.isRegularFile(candidate)) return load(candidate);
            }
            throw new IOException(path + ": folder has neither tokenizer.model nor tokenizer.json");
        }
        byte[] head = new byte[GGUF_MAGIC.length];
        int read;
        try (InputStream in = Files.newInputStream(path)) {
            read = in.readNBytes(head, 0, head.length);
        }
        if (read == GGUF_MAGIC.length && java.util.Arrays.equals(head, GGUF_MAGIC)) {
            try (GgufFile gguf = GgufFile.open(path)) {
                return fromGguf(gguf);
            }
        }
        byte[] bytes = Files.readAllBytes(path);
        return of(parse(bytes, path.toString()));
    }

    /** The vocabulary in a GGUF file's metadata ({@code tokenizer.ggml.*}). */
    public static Tokenizer fromGguf(GgufFile gguf) {
        return of(GgufTokenizerReader.read(gguf));
    }

    /** Reads a tokenizer.json, tokenizer.model or tokenizer.bin held in memory (not GGUF). */
    static Vocabulary parse(byte[] bytes, String source) {
        int first = firstNonWhitespace(bytes);
        if (first < 0) throw new TokenizerFormatException(source + ": the file is empty");
        if (bytes[first] == '{') return TokenizerJsonReader.parse(bytes, source);
        // A ModelProto starts with a non-empty piece: tag 0x0A, then a length > 0. A tokenizer.bin
        // whose max_token_length is 10 also starts with 0x0A, followed by zero bytes.
        if (bytes[0] == PROTOBUF_PIECES_TAG && bytes.length > 1 && bytes[1] != 0) {
            return SentencePieceModelReader.parse(bytes, source);
        }
        if (Llama2cTokenizerReader.looksLikeLlama2c(bytes)) return Llama2cTokenizerReader.parse(bytes, source);
        throw new TokenizerFormatException(source + ": not a tokenizer file: expected GGUF magic, a JSON object, "
                + "a SentencePiece model (first byte 0x0A) or a llama2.c tokenizer.bin; found first bytes "
                + hex(bytes));
    }

    private static int firstNonWhitespace(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] != ' ' && bytes[i] != '\n' && bytes[i] != '\r' && bytes[i] != '\t') return i;
        }
        return -1;
    }

    private static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(8, bytes.length); i++) sb.append(String.format("%02x ", bytes[i]));
        return sb.toString().trim();
    }

    /** The ids of {@code text}, with BOS before and EOS after when asked (ids, never text). */
    public int[] encode(String text, boolean bos, boolean eos) {
        IdBuffer out = new IdBuffer(text.length() / 3 + 2);
        if (bos) out.add(requireSpecial(vocabulary.bosId(), "BOS"));
        encoder.encode(text, out);
        if (eos) out.add(requireSpecial(vocabulary.eosId(), "EOS"));
        return out.toArray();
    }

    private int requireSpecial(int id, String name) {
        if (id < 0) throw new IllegalStateException(vocabulary.source() + ": the vocabulary has no " + name + " piece");
        return id;
    }

    /** The text of {@code ids}, as SentencePiece's DecodeIds gives it. */
    public String decode(int[] ids) {
        return decode(ids, 0, ids.length);
    }

    /** The text of {@code ids[from, to)}. */
    public String decode(int[] ids, int from, int to) {
        StreamingDecoder decoder = streamingDecoder();
        StringBuilder out = new StringBuilder();
        for (int i = from; i < to; i++) out.append(decoder.accept(ids[i]));
        return out.append(decoder.flush()).toString();
    }

    public String decode(List<Integer> ids) {
        return decode(ids.stream().mapToInt(Integer::intValue).toArray());
    }

    /** A decoder for ids that arrive one at a time (generation). */
    public StreamingDecoder streamingDecoder() {
        return new StreamingDecoder(this);
    }

    public int bosId() { return vocabulary.bosId(); }

    public int eosId() { return vocabulary.eosId(); }

    public int unkId() { return vocabulary.unkId(); }

    public int vocabSize() { return vocabulary.size(); }

    /** Whether the file asks for BOS at the start of a prompt (GGUF add_bos_token; true elsewhere). */
    public boolean addBosByDefault() { return vocabulary.addBos(); }

    public Vocabulary vocabulary() { return vocabulary; }

    /** The piece text of {@code id}, with '▁' for spaces. */
    public String piece(int id) {
        checkId(id);
        return vocabulary.pieces()[id];
    }

    public float score(int id) {
        checkId(id);
        return vocabulary.scores()[id];
    }

    public PieceType type(int id) {
        checkId(id);
        return vocabulary.types()[id];
    }

    /** The id of the piece with this exact text (e.g. "▁the", "<s>", "<0x0A>"). */
    public OptionalInt idOf(String piece) {
        int id = allPieces.get(piece);
        return id < 0 ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Whether {@code id} is a control piece (BOS, EOS...), which text never produces. */
    public boolean isControl(int id) {
        return type(id) == PieceType.CONTROL;
    }

    void checkId(int id) {
        if (id < 0 || id >= vocabulary.size()) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (size "
                    + vocabulary.size() + ")");
        }
    }
}
