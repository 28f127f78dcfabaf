package io.llama2j.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SentencePiece's BPE encoding (bpe_model.cc {@code Model::SampleEncode} without dropout, plus
 * the byte fallback of sentencepiece_processor.cc), in O(n log n): the text is split into
 * characters kept in a doubly linked list; every adjacent pair whose concatenation is a piece
 * goes into a priority queue ordered by that piece's score, ties going to the leftmost pair;
 * the best pair is merged and only its two new neighbour pairs are pushed. Queue entries that a
 * previous merge made stale are recognised, as SentencePiece does, by their length no longer
 * matching. When the vocabulary allows it, text is encoded word by word and recent words are
 * cached, as Hugging Face tokenizers do.
 */
final class BpeEncoder {
    private static final char SPACE_SYMBOL = '\u2581';
    private static final char REPLACEMENT_CHARACTER = '\uFFFD';

    private final Vocabulary vocabulary;
    private final PieceTable producible;
    private final PieceTable reserved;
    private final PieceTable userDefined;
    private final int maxUserDefinedLength;
    private final boolean hasUnused;
    private final int[] byteIds = new int[Vocabulary.BYTE_PIECES];
    /** Recently encoded words; null when the vocabulary does not allow encoding word by word. */
    private final Map<String, int[]> segmentCache;
    private final char wordSeparator;
    /** Words longer than this are encoded without caching (long runs of CJK, code, noise). */
    private static final int MAX_CACHED_SEGMENT_CHARS = 64;
    /** The cache is emptied when it reaches this many words (about 10 MB at most). */
    private static final int MAX_CACHED_SEGMENTS = 1 << 16;

    BpeEncoder(Vocabulary vocabulary) {
        this.vocabulary = vocabulary;
        Map<String, Integer> producibleMap = new HashMap<>();
        Map<String, Integer> reservedMap = new HashMap<>();
        Map<String, Integer> userDefinedMap = new HashMap<>();
        int maxUser = 0;
        boolean unused = false;
        Arrays.fill(byteIds, -1);
        String[] pieces = vocabulary.pieces();
        PieceType[] types = vocabulary.types();
        for (int id = 0; id < pieces.length; id++) {
            (Vocabulary.producibleByBpe(types[id]) ? producibleMap : reservedMap).put(pieces[id], id);
            if (types[id] == PieceType.USER_DEFINED) {
                userDefinedMap.put(pieces[id], id);
                maxUser = Math.max(maxUser, pieces[id].length());
            }
            if (types[id] == PieceType.UNUSED) unused = true;
            if (types[id] == PieceType.BYTE) byteIds[Vocabulary.byteValue(pieces[id])] = id;
        }
        producible = new PieceTable(producibleMap);
        reserved = new PieceTable(reservedMap);
        userDefined = new PieceTable(userDefinedMap);
        maxUserDefinedLength = maxUser;
        hasUnused = unused;
        wordSeparator = vocabulary.normalization().escapeWhitespaces() ? SPACE_SYMBOL : ' ';
        segmentCache = wordsAreIndependent(vocabulary, wordSeparator) ? new ConcurrentHashMap<>() : null;
    }

    /**
     * Whether text can be encoded word by word, each word starting at a space that follows a
     * non-space, with the same result as encoding it whole: true when no piece BPE can produce
     * has a space right after a non-space (SentencePiece's split_by_whitespace vocabularies, Llama
     * 2's among them). Then no merge ever joins two words, and the merges inside one word happen
     * in the same order whether or not other words are present (the order is by score, then by
     * position, which the cut preserves).
     */
    static boolean wordsAreIndependent(Vocabulary vocabulary, char separator) {
        for (int id = 0; id < vocabulary.size(); id++) {
            if (!Vocabulary.producibleByBpe(vocabulary.types()[id])) continue;
            String piece = vocabulary.pieces()[id];
            for (int i = 1; i < piece.length(); i++) {
                if (piece.charAt(i) == separator && piece.charAt(i - 1) != separator) return false;
            }
        }
        return true;
    }

    /**
     * SentencePiece's identity normalizer (normalizer.cc {@code Normalize}): optional removal of
     * leading, trailing and repeated spaces, the dummy-prefix '▁', spaces written as '▁'.
     * Unpaired surrogates, which UTF-8 cannot carry, become U+FFFD as malformed UTF-8 does there.
     */
    String normalize(String text) {
        Vocabulary.Normalization n = vocabulary.normalization();
        int start = 0;
        if (n.removeExtraWhitespaces()) {
            while (start < text.length() && text.charAt(start) == ' ') start++;
        }
        if (start == text.length()) return "";
        StringBuilder out = new StringBuilder(text.length() - start + 1);
        if (n.addDummyPrefix()) out.append(n.escapeWhitespaces() ? SPACE_SYMBOL : ' ');
        boolean previousWasSpace = n.removeExtraWhitespaces();
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ' ') {
                if (!previousWasSpace) out.append(n.escapeWhitespaces() ? SPACE_SYMBOL : ' ');
                previousWasSpace = n.removeExtraWhitespaces();
                continue;
            }
            previousWasSpace = false;
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(c).append(text.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                out.append(REPLACEMENT_CHARACTER);
            } else {
                out.append(c);
            }
        }
        if (n.removeExtraWhitespaces()) {
            char space = n.escapeWhitespaces() ? SPACE_SYMBOL : ' ';
            int end = out.length();
            while (end > 0 && out.charAt(end - 1) == space) end--;
            out.setLength(end);
        }
        return out.toString();
    }

    /** Appends the ids of {@code text} (no BOS/EOS) to {@code out}. */
    void encode(String text, IdBuffer out) {
        int first = out.size();
        encodeNormalized(normalize(text).toCharArray(), out);
        if (!vocabulary.byteFallback()) {
            // SentencePiece merges a run of unknown pieces into one UNK (sentencepiece_processor.cc
            // PopulateSentencePieceText) so that the decoder sees one unknown span.
            out.collapseRuns(first, vocabulary.unkId());
        }
    }

    private void encodeNormalized(char[] s, IdBuffer out) {
        if (s.length == 0) return;
        if (segmentCache == null) {
            encodeRange(s, 0, s.length, out);
            return;
        }
        // Word by word: cut before each space that follows a non-space (see wordsAreIndependent).
        int segmentStart = 0;
        for (int i = 1; i <= s.length; i++) {
            if (i == s.length || (s[i] == wordSeparator && s[i - 1] != wordSeparator)) {
                encodeSegment(s, segmentStart, i, out);
                segmentStart = i;
            }
        }
    }

    private void encodeSegment(char[] s, int from, int to, IdBuffer out) {
        if (to - from > MAX_CACHED_SEGMENT_CHARS) {
            encodeRange(s, from, to, out);
            return;
        }
        String key = new String(s, from, to - from);
        int[] ids = segmentCache.get(key);
        if (ids == null) {
            IdBuffer segment = new IdBuffer(to - from);
            encodeRange(s, from, to, segment);
            ids = segment.toArray();
            if (segmentCache.size() >= MAX_CACHED_SEGMENTS) segmentCache.clear();
            segmentCache.put(key, ids);
        }
        for (int id : ids) out.add(id);
    }

    /** BPE over the normalized characters {@code s[from, to)}. */
    private void encodeRange(char[] s, int from, int to, IdBuffer out) {
        Symbols symbols = split(s, from, to);
        Map<String, String[]> reverseMerges = hasUnused ? new HashMap<>() : null;
        PairQueue queue = new PairQueue(2 * symbols.count);
        for (int i = 1; i < symbols.count; i++) offerPair(s, symbols, i - 1, i, queue, reverseMerges);
        while (!queue.isEmpty()) {
            int left = queue.topLeft();
            int size = queue.topSize();
            int pieceId = queue.topPieceId();
            queue.pop();
            int right = symbols.next[left];
            // Stale entry: one side was merged away or grew since the pair was queued.
            if (symbols.length[left] == 0 || right < 0 || symbols.length[right] == 0
                    || symbols.length[left] + symbols.length[right] != size) {
                continue;
            }
            symbols.length[left] += symbols.length[right];
            symbols.id[left] = pieceId;
            symbols.next[left] = symbols.next[right];
            if (symbols.next[right] >= 0) symbols.prev[symbols.next[right]] = left;
            symbols.length[right] = 0;
            offerPair(s, symbols, symbols.prev[left], left, queue, reverseMerges);
            offerPair(s, symbols, left, symbols.next[left], queue, reverseMerges);
        }
        for (int i = 0; i >= 0; i = symbols.next[i]) {
            int start = symbols.start[i];
            int end = start + symbols.length[i];
            int id = symbols.id[i];
            if (id < 0) id = lookup(s, start, end);
            if (reverseMerges != null && vocabulary.types()[id] == PieceType.UNUSED) {
                resegment(new String(s, start, end - start), out, reverseMerges);
            } else {
                emit(s, start, end, id, out);
            }
        }
    }

    /** SentencePiece's PieceToId: producible pieces, then reserved ones, else UNK. */
    private int lookup(char[] s, int start, int end) {
        int id = producible.get(s, start, end);
        if (id < 0) id = reserved.get(s, start, end);
        return id < 0 ? vocabulary.unkId() : id;
    }

    private void emit(char[] s, int start, int end, int id, IdBuffer out) {
        if (id == vocabulary.unkId() && vocabulary.byteFallback()) {
            // Byte fallback: an unknown character becomes the <0xNN> pieces of its UTF-8 bytes.
            for (byte b : new String(s, start, end - start).getBytes(StandardCharsets.UTF_8)) out.add(byteIds[b & 0xFF]);
        } else {
            out.add(id);
        }
    }

    /** An UNUSED piece is replaced by the two pieces it was merged from, recursively (bpe_model.cc). */
    private void resegment(String piece, IdBuffer out, Map<String, String[]> reverseMerges) {
        char[] chars = piece.toCharArray();
        int id = lookup(chars, 0, chars.length);
        String[] parts = vocabulary.types()[id] == PieceType.UNUSED ? reverseMerges.get(piece) : null;
        if (parts == null) {
            emit(chars, 0, chars.length, id, out);
            return;
        }
        resegment(parts[0], out, reverseMerges);
        resegment(parts[1], out, reverseMerges);
    }

    private void offerPair(char[] s, Symbols symbols, int left, int right, PairQueue queue,
                           Map<String, String[]> reverseMerges) {
        if (left < 0 || right < 0 || symbols.frozen[left] || symbols.frozen[right]) return;
        int start = symbols.start[left];
        int size = symbols.length[left] + symbols.length[right];
        int id = producible.get(s, start, start + size);
        if (id < 0) return;
        queue.push(vocabulary.scores()[id], left, size, id);
        if (reverseMerges != null && vocabulary.types()[id] == PieceType.UNUSED) {
            int leftLength = symbols.length[left];
            reverseMerges.put(new String(s, start, size), new String[] {
                    new String(s, start, leftLength), new String(s, start + leftLength, size - leftLength)});
        }
    }

    /** One symbol per character, or per user-defined piece (longest match), which is frozen. */
    private Symbols split(char[] s, int from, int to) {
        Symbols symbols = new Symbols(to - from);
        int i = from;
        while (i < to) {
            int length = 0;
            boolean frozen = false;
            for (int len = Math.min(maxUserDefinedLength, to - i); len > 0; len--) {
                if (userDefined.get(s, i, i + len) >= 0) {
                    length = len;
                    frozen = true;
                    break;
                }
            }
            if (length == 0) {
                length = Character.isHighSurrogate(s[i]) && i + 1 < to && Character.isLowSurrogate(s[i + 1]) ? 2 : 1;
            }
            symbols.add(i, length, frozen);
            i += length;
        }
        return symbols;
    }

    /** The linked list of symbols: struct-of-arrays, index = position in the initial split. */
    private static final class Symbols {
        final int[] start;
        final int[] length;
        final int[] prev;
        final int[] next;
        final int[] id;
        final boolean[] frozen;
        int count;

        Symbols(int capacity) {
            start = new int[capacity];
            length = new int[capacity];
            prev = new int[capacity];
            next = new int[capacity];
            id = new int[capacity];
            frozen = new boolean[capacity];
        }

        void add(int startChar, int lengthChars, boolean isFrozen) {
            start[count] = startChar;
            length[count] = lengthChars;
            prev[count] = count - 1;
            next[count] = -1;
            if (count > 0) next[count - 1] = count;
            id[count] = -1;
            frozen[count] = isFrozen;
            count++;
        }
    }

    /**
     * A binary max-heap of candidate merges. The key packs the score (as an order-preserving
     * unsigned int) above the inverted left index, so one unsigned comparison gives "higher score
     * first, then leftmost" (bpe_model.cc SymbolPairComparator).
     */
    private static final class PairQueue {
        private long[] keys;
        private int[] sizes;
        private int[] pieceIds;
        private int count;

        PairQueue(int capacity) {
            capacity = Math.max(capacity, 4);
            keys = new long[capacity];
            sizes = new int[capacity];
            pieceIds = new int[capacity];
        }

        boolean isEmpty() {
            return count == 0;
        }

        int topLeft() {
            return (int) (0xFFFF_FFFFL - (keys[0] & 0xFFFF_FFFFL));
        }

        int topSize() {
            return sizes[0];
        }

        int topPieceId() {
            return pieceIds[0];
        }

        void push(float score, int left, int size, int pieceId) {
            if (count == keys.length) {
                keys = Arrays.copyOf(keys, count * 2);
                sizes = Arrays.copyOf(sizes, count * 2);
                pieceIds = Arrays.copyOf(pieceIds, count * 2);
            }
            int bits = Float.floatToIntBits(score + 0f); // +0f turns -0 into 0, as float comparison does
            long orderedScore = (bits >= 0 ? bits ^ 0x8000_0000 : ~bits) & 0xFFFF_FFFFL;
            long key = orderedScore << 32 | (0xFFFF_FFFFL - left);
            int i = count++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (Long.compareUnsigned(keys[parent], key) >= 0) break;
                keys[i] = keys[parent];
                sizes[i] = sizes[parent];
                pieceIds[i] = pieceIds[parent];
                i = parent;
            }
            keys[i] = key;
            sizes[i] = size;
            pieceIds[i] = pieceId;
        }

        void pop() {
            count--;
            if (count == 0) return;
            long key = keys[count];
            int size = sizes[count];
            int pieceId = pieceIds[count];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= count) break;
                if (child + 1 < count && Long.compareUnsigned(keys[child + 1], keys[child]) > 0) child++;
                if (Long.compareUnsigned(keys[child], key) <= 0) break;
                keys[i] = keys[child];
                sizes[i] = sizes[child];
                pieceIds[i] = pieceIds[child];
                i = child;
            }
            keys[i] = key;
            sizes[i] = size;
            pieceIds[i] = pieceId;
        }
    }
}
