package io.llama2j.tokenizer.train;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The text a BPE vocabulary is learned from, prepared as SentencePiece's
 * TrainerInterface::LoadSentences and SplitSentencesByWhitespace (trainer_interface.cc,
 * v0.1.97) prepare it: every input line is a sentence; empty lines, lines over
 * max_sentence_length bytes and lines holding the reserved unknown character U+2585 are
 * skipped; each line is normalized (identity rule plus whitespace handling, normalizer.cc);
 * meta-piece strings such as {@code <s>} become a tab, a boundary nothing merges across;
 * the alphabet is the most frequent characters up to the character coverage, other
 * characters become U+2585 (unknown); sentences are split into ▁-prefixed words, which are
 * counted and sorted by count, then by their UTF-8 bytes.
 *
 * @param words         distinct words as code points, most frequent first
 * @param wordCounts    occurrences of each word
 * @param alphabet      the required characters, most frequent first (then by code point)
 * @param alphabetCounts occurrences of each alphabet character
 * @param sentences     lines used
 * @param skippedTooLong lines skipped for exceeding max_sentence_length
 * @param charsRead     characters read from the input (lines, without their line breaks)
 */
record TrainingCorpus(int[][] words, long[] wordCounts, int[] alphabet, long[] alphabetCounts,
                      int sentences, int skippedTooLong, long charsRead) {

    /** U+2581, SentencePiece's visible space (kWSChar). */
    static final int SPACE_SYMBOL = 0x2581;
    /** U+2585, the character rare characters are replaced with (kUNKChar). */
    static final int UNKNOWN_CHAR = 0x2585;
    /** Tab: the boundary meta pieces are replaced with (kUPPBoundaryChar); never in the alphabet. */
    static final int BOUNDARY_CHAR = '\t';
    /** What a malformed UTF-8 byte decodes to (normalizer.cc NormalizePrefix). */
    static final int REPLACEMENT_CHAR = 0xFFFD;
    private static final int READ_CHUNK_BYTES = 1 << 16;

    /** Reads {@code files} in order, one sentence per line, and prepares them. */
    static TrainingCorpus load(List<Path> files, BpeTrainerConfig config, List<String> metaPieces) throws IOException {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no input files given");
        }
        for (Path file : files) {
            if (!Files.isRegularFile(file)) {
                throw new NoSuchFileException(file.toString(), null, "training text not found");
            }
        }
        Builder builder = new Builder(config, metaPieces);
        for (Path file : files) {
            try (InputStream in = Files.newInputStream(file)) {
                if (!builder.readLines(in)) {
                    break;
                }
            }
        }
        return builder.finish();
    }

    /** Prepares in-memory lines (tests, callers that already hold the text). */
    static TrainingCorpus of(List<String> lines, BpeTrainerConfig config, List<String> metaPieces) {
        Builder builder = new Builder(config, metaPieces);
        for (String line : lines) {
            if (!builder.addLine(line.getBytes(StandardCharsets.UTF_8))) {
                break;
            }
        }
        return builder.finish();
    }

    private static final class Builder {
        private final BpeTrainerConfig config;
        private final int[][] metaPieces;
        private final List<int[]> sentences = new ArrayList<>();
        private int skippedTooLong;
        private long charsRead;

        Builder(BpeTrainerConfig config, List<String> metaPieces) {
            this.config = config;
            this.metaPieces = metaPieces.stream().map(s -> s.codePoints().toArray()).toArray(int[][]::new);
        }

        /** Splits the stream on '\n' like std::getline; false once the character limit is reached. */
        boolean readLines(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            byte[] chunk = new byte[READ_CHUNK_BYTES];
            int read;
            while ((read = in.read(chunk)) != -1) {
                int lineStart = 0;
                for (int i = 0; i < read; i++) {
                    if (chunk[i] == '\n') {
                        line.write(chunk, lineStart, i - lineStart);
                        if (!addLine(line.toByteArray())) {
                            return false;
                        }
                        line.reset();
                        lineStart = i + 1;
                    }
                }
                line.write(chunk, lineStart, read - lineStart);
            }
            return line.size() == 0 || addLine(line.toByteArray());
        }

        boolean addLine(byte[] utf8) {
            int[] chars = decodeUtf8(utf8);
            if (config.maxInputChars() > 0 && charsRead + chars.length > config.maxInputChars()) {
                return false;
            }
            charsRead += chars.length;
            if (utf8.length == 0) {
                return true;
            }
            if (utf8.length > config.maxSentenceBytes()) {
                skippedTooLong++;
                return true;
            }
            for (int c : chars) {
                if (c == UNKNOWN_CHAR) {
                    return true; // "Reserved chars are found. Skipped"
                }
            }
            int[] normalized = replaceMetaPieces(normalize(chars));
            if (normalized.length > 0) {
                sentences.add(normalized);
            }
            return true;
        }

        /**
         * normalizer.cc Normalizer::Normalize with the identity rule: optional trimming and
         * collapsing of ' ', a ▁ dummy prefix, every ' ' escaped as ▁.
         */
        int[] normalize(int[] input) {
            int start = 0;
            if (config.removeExtraWhitespaces()) {
                while (start < input.length && input[start] == ' ') {
                    start++;
                }
            }
            if (start == input.length) {
                return new int[0];
            }
            int[] out = new int[input.length - start + 1];
            int n = 0;
            if (config.addDummyPrefix()) {
                out[n++] = SPACE_SYMBOL;
            }
            boolean previousWasSpace = config.removeExtraWhitespaces();
            for (int i = start; i < input.length; i++) {
                int c = input[i];
                if (c == ' ' && previousWasSpace) {
                    continue;
                }
                out[n++] = c == ' ' ? SPACE_SYMBOL : c;
                previousWasSpace = config.removeExtraWhitespaces() && c == ' ';
            }
            if (config.removeExtraWhitespaces()) {
                while (n > 0 && out[n - 1] == SPACE_SYMBOL) {
                    n--; // also drops a literal trailing U+2581, as SentencePiece does
                }
            }
            return Arrays.copyOf(out, n);
        }

        /** PrefixMatcher::GlobalReplace: the longest meta piece at each position becomes a tab. */
        int[] replaceMetaPieces(int[] text) {
            int[] out = new int[text.length];
            int n = 0;
            for (int i = 0; i < text.length; ) {
                int longest = 0;
                if (text[i] == '<') {
                    for (int[] meta : metaPieces) {
                        if (meta.length > longest && startsWith(text, i, meta)) {
                            longest = meta.length;
                        }
                    }
                }
                if (longest > 0) {
                    out[n++] = BOUNDARY_CHAR;
                    i += longest;
                } else {
                    out[n++] = text[i++];
                }
            }
            return Arrays.copyOf(out, n);
        }

        TrainingCorpus finish() {
            Map<Integer, long[]> charCounts = countCharacters();
            int[] alphabet = chooseAlphabet(charCounts);
            long[] alphabetCounts = new long[alphabet.length];
            Set<Integer> inAlphabet = new HashSet<>();
            for (int i = 0; i < alphabet.length; i++) {
                alphabetCounts[i] = charCounts.get(alphabet[i])[0];
                inAlphabet.add(alphabet[i]);
            }
            // "Replaces rare characters (characters not included in required_chars_) with kUNKChar."
            Map<IntArrayKey, long[]> wordCounts = new HashMap<>();
            for (int[] sentence : sentences) {
                for (int i = 0; i < sentence.length; i++) {
                    if (!inAlphabet.contains(sentence[i])) {
                        sentence[i] = UNKNOWN_CHAR;
                    }
                }
                for (int[] word : splitIntoWords(sentence, config.allowWhitespaceOnlyPieces())) {
                    wordCounts.computeIfAbsent(new IntArrayKey(word), k -> new long[1])[0]++;
                }
            }
            // SplitSentencesByWhitespace: Sorted(), i.e. by count, then by the word's bytes.
            List<Map.Entry<IntArrayKey, long[]>> sorted = new ArrayList<>(wordCounts.entrySet());
            sorted.sort(Comparator.<Map.Entry<IntArrayKey, long[]>>comparingLong(e -> -e.getValue()[0])
                    .thenComparing((a, b) -> Arrays.compare(a.getKey().chars(), b.getKey().chars())));
            int[][] words = new int[sorted.size()][];
            long[] counts = new long[sorted.size()];
            for (int i = 0; i < sorted.size(); i++) {
                words[i] = sorted.get(i).getKey().chars();
                counts[i] = sorted.get(i).getValue()[0];
            }
            return new TrainingCorpus(words, counts, alphabet, alphabetCounts, sentences.size(), skippedTooLong,
                    charsRead);
        }

        /** Occurrences of every character of the normalized sentences (NUL and non-scalars left out). */
        private Map<Integer, long[]> countCharacters() {
            Map<Integer, long[]> counts = new HashMap<>();
            for (int[] sentence : sentences) {
                for (int c : sentence) {
                    if (isValidCodepoint(c) && c != 0) {
                        counts.computeIfAbsent(c, k -> new long[1])[0]++;
                    }
                }
            }
            return counts;
        }

        /**
         * trainer_interface.cc "Determines required_chars": the most frequent characters (ties by
         * code point) until their share of all occurrences reaches the character coverage. The
         * tab, the boundary character, is never part of the alphabet.
         */
        private int[] chooseAlphabet(Map<Integer, long[]> counts) {
            long all = 0;
            for (long[] count : counts.values()) {
                all += count[0];
            }
            List<Map.Entry<Integer, long[]>> byCount = new ArrayList<>(counts.entrySet());
            byCount.sort(Comparator.<Map.Entry<Integer, long[]>>comparingLong(e -> -e.getValue()[0])
                    .thenComparingInt(Map.Entry::getKey));
            int[] alphabet = new int[byCount.size()];
            int size = 0;
            long accumulated = 0;
            for (Map.Entry<Integer, long[]> e : byCount) {
                // SentencePiece computes the coverage in double and stores it in a float.
                float coverage = (float) ((double) accumulated / all);
                if (coverage >= config.characterCoverage()) {
                    break;
                }
                accumulated += e.getValue()[0];
                if (e.getKey() != BOUNDARY_CHAR) {
                    alphabet[size++] = e.getKey();
                }
            }
            return Arrays.copyOf(alphabet, size);
        }
    }

    /**
     * trainer_interface.cc SplitIntoWords (whitespace as prefix): a word starts at the text's
     * start and at every ▁; with allowWhitespaceOnlyPieces a run of ▁ stays with the word
     * that follows it.
     */
    static List<int[]> splitIntoWords(int[] text, boolean allowWhitespaceOnlyPieces) {
        List<int[]> words = new ArrayList<>();
        int start = 0;
        boolean inWhitespaceRun = false;
        for (int i = 0; i < text.length; i++) {
            boolean isSpace = text[i] == SPACE_SYMBOL;
            if (i == 0 || (isSpace && (!inWhitespaceRun || !allowWhitespaceOnlyPieces))) {
                if (i > 0) {
                    words.add(Arrays.copyOfRange(text, start, i));
                }
                start = i;
                inWhitespaceRun = true;
            }
            if (inWhitespaceRun && !isSpace) {
                inWhitespaceRun = false;
            }
        }
        if (text.length > 0) {
            words.add(Arrays.copyOfRange(text, start, text.length));
        }
        return words;
    }

    /** util.h IsValidCodepoint: Unicode scalar values only. */
    static boolean isValidCodepoint(int c) {
        return (c >= 0 && c < 0xD800) || (c >= 0xE000 && c <= 0x10FFFF);
    }

    private static boolean startsWith(int[] text, int at, int[] prefix) {
        if (at + prefix.length > text.length) {
            return false;
        }
        for (int k = 0; k < prefix.length; k++) {
            if (text[at + k] != prefix[k]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Decodes UTF-8 as SentencePiece does: a malformed byte (bad lead, bad continuation,
     * overlong form, surrogate, beyond U+10FFFF) becomes U+FFFD and only that byte is consumed.
     */
    static int[] decodeUtf8(byte[] bytes) {
        int[] out = new int[bytes.length];
        int n = 0;
        for (int i = 0; i < bytes.length; ) {
            int b0 = bytes[i] & 0xFF;
            int length;
            int c;
            int min;
            if (b0 < 0x80) {
                out[n++] = b0;
                i++;
                continue;
            } else if (b0 >= 0xC2 && b0 <= 0xDF) {
                length = 2; c = b0 & 0x1F; min = 0x80;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                length = 3; c = b0 & 0x0F; min = 0x800;
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                length = 4; c = b0 & 0x07; min = 0x10000;
            } else {
                out[n++] = REPLACEMENT_CHAR;
                i++;
                continue;
            }
            boolean ok = i + length <= bytes.length;
            for (int k = 1; ok && k < length; k++) {
                int b = bytes[i + k] & 0xFF;
                if ((b & 0xC0) != 0x80) {
                    ok = false;
                } else {
                    c = (c << 6) | (b & 0x3F);
                }
            }
            if (ok && c >= min && isValidCodepoint(c)) {
                out[n++] = c;
                i += length;
            } else {
                out[n++] = REPLACEMENT_CHAR;
                i++;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** An int[] usable as a map key (value equality). */
    private record IntArrayKey(int[] chars) {
        @Override
        public boolean equals(Object o) {
            return o instanceof IntArrayKey other && Arrays.equals(chars, other.chars);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(chars);
        }
    }
}
