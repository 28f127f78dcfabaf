package io.llama2j.tokenizer.train;

import io.llama2j.tokenizer.PieceType;
import io.llama2j.tokenizer.Vocabulary;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Learns a SentencePiece BPE vocabulary the way SentencePiece's bpe::Trainer::Train
 * (bpe_model_trainer.cc, v0.1.97) does, so that the same text and options give the same
 * pieces in the same order:
 *
 * <ol>
 *   <li>The text is prepared by {@link TrainingCorpus}: normalized lines split into ▁-prefixed
 *       words with their counts, and the alphabet (character coverage).</li>
 *   <li>Every word starts as a sequence of character symbols; every adjacent pair allowed by
 *       {@link PieceRules} becomes a candidate symbol that remembers its positions
 *       (word, left index, right index).</li>
 *   <li>Each step merges the candidate with the highest frequency (ties: fewer characters, then
 *       the smaller UTF-8 string), found among the "active" candidates: the top 5% (at least
 *       1000) by frequency, refreshed every 100 pieces, plus every pair created since. A
 *       frequency is the sum of the counts of the words it occurs in, an overlapping
 *       occurrence ("aaa" holds one "aa") counted once. Merging rewrites only the neighbours
 *       of each position and marks the neighbouring pairs' frequencies stale, so they are
 *       recounted from their position lists only when next looked at.</li>
 *   <li>A piece string reached a second time by another split ("a"+"aa" after "aa"+"a") is
 *       dropped, not merged.</li>
 *   <li>The merged pieces get scores 0, -1, -2, ... in merge order; the alphabet follows,
 *       most frequent first, continuing the scores; the special and byte pieces come first
 *       with score 0.</li>
 * </ol>
 */
public final class BpeTrainer {
    /** bpe_model_trainer.cc kUpdateActiveSymbolsInteval. */
    static final int ACTIVE_REFRESH_INTERVAL = 100;
    /** bpe_model_trainer.cc kMinActiveSymbolsSize. */
    static final int MIN_ACTIVE_SYMBOLS = 1000;
    /** bpe_model_trainer.cc kTopFrequentRatio. */
    static final float TOP_FREQUENT_RATIO = 0.05f;
    /** How often (in pieces) progress is reported. */
    static final int PROGRESS_INTERVAL = 50;
    /** Fibonacci hashing constant (2^64 / golden ratio, odd). */
    private static final long KEY_MIX = 0x9E3779B97F4A7C15L;

    private final BpeTrainerConfig config;
    private final Consumer<String> progress;

    /** @param progress receives one-line progress messages (the CLI prints them on stderr) */
    public BpeTrainer(BpeTrainerConfig config, Consumer<String> progress) {
        this.config = config;
        this.progress = progress;
    }

    public BpeTrainer(BpeTrainerConfig config) {
        this(config, message -> { });
    }

    /** Trains on the lines of {@code files}, read in order. */
    public TrainedVocabulary train(List<Path> files) throws IOException {
        long start = System.nanoTime();
        TrainingCorpus corpus = TrainingCorpus.load(files, config, metaPieceTexts());
        return train(corpus, "BPE trained on " + files, start);
    }

    /** Trains on in-memory lines, each one a sentence as a line of a training file would be. */
    public TrainedVocabulary trainOnLines(List<String> lines) {
        long start = System.nanoTime();
        TrainingCorpus corpus = TrainingCorpus.of(lines, config, metaPieceTexts());
        return train(corpus, "BPE trained on " + lines.size() + " lines", start);
    }

    private TrainedVocabulary train(TrainingCorpus corpus, String source, long startNanos) {
        progress.accept(String.format(Locale.ROOT, "read %,d characters: %,d sentences (%d too long, skipped), "
                        + "%,d distinct words, alphabet of %d characters (%.2f s)",
                corpus.charsRead(), corpus.sentences(), corpus.skippedTooLong(), corpus.words().length,
                corpus.alphabet().length, (System.nanoTime() - startNanos) / 1e9));
        int merges = config.vocabSize() - config.metaPieceCount() - corpus.alphabet().length;
        if (corpus.alphabet().length == 0) {
            throw new IllegalArgumentException("the training text has no characters to learn from");
        }
        if (merges < 0) {
            throw new IllegalArgumentException("vocab size " + config.vocabSize() + " is smaller than the "
                    + config.metaPieceCount() + " special/byte pieces plus the alphabet of "
                    + corpus.alphabet().length + " characters (" + (config.metaPieceCount() + corpus.alphabet().length)
                    + "); raise the vocab size or lower the character coverage");
        }
        List<String> merged = new Merger(corpus, new PieceRules(config)).run(merges);
        if (merged.size() < merges) {
            throw new IllegalArgumentException("the training text allows only " + merged.size()
                    + " merges but vocab size " + config.vocabSize() + " needs " + merges
                    + "; give more text or a vocab size of at most "
                    + (config.vocabSize() - merges + merged.size()));
        }
        Vocabulary vocabulary = assemble(merged, corpus.alphabet(), source);
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        progress.accept(String.format(Locale.ROOT, "learned %d pieces (%d merges, %d characters) in %.2f s",
                vocabulary.size(), merged.size(), corpus.alphabet().length, seconds));
        return new TrainedVocabulary(vocabulary, merged.size(), corpus.alphabet().length, corpus.sentences(),
                corpus.charsRead(), seconds);
    }

    /**
     * The model's vocabulary in id order (bpe_model_trainer.cc, then TrainerInterface::Serialize):
     * the meta pieces with score 0, the merged pieces in merge order, then the alphabet, scored
     * 0, -1, -2, ... across both.
     */
    private Vocabulary assemble(List<String> merged, int[] alphabet, String source) {
        List<String> meta = metaPieceTexts();
        int size = meta.size() + merged.size() + alphabet.length;
        String[] pieces = new String[size];
        float[] scores = new float[size];
        PieceType[] types = new PieceType[size];
        int id = 0;
        for (String piece : meta) {
            pieces[id] = piece;
            types[id] = id == BpeTrainerConfig.UNK_ID ? PieceType.UNKNOWN
                    : id < BpeTrainerConfig.SPECIAL_PIECES ? PieceType.CONTROL : PieceType.BYTE;
            id++;
        }
        List<String> normal = new ArrayList<>(merged);
        for (int c : alphabet) {
            normal.add(Character.toString(c));
        }
        int rank = 0;
        for (String piece : normal) {
            pieces[id] = piece;
            scores[id] = -(float) rank++; // the first is -0.0f, as SentencePiece writes it
            types[id] = PieceType.NORMAL;
            id++;
        }
        return new Vocabulary(source, pieces, scores, types, BpeTrainerConfig.UNK_ID, BpeTrainerConfig.BOS_ID,
                BpeTrainerConfig.EOS_ID, config.normalization(), config.byteFallback(),
                Vocabulary.DEFAULT_UNK_SURFACE, true);
    }

    /** Ids 0..2 unk, bos, eos (Llama 2 layout), then with byte fallback {@code <0x00>..<0xFF>}. */
    private List<String> metaPieceTexts() {
        List<String> meta = new ArrayList<>(List.of(BpeTrainerConfig.UNK_PIECE, BpeTrainerConfig.BOS_PIECE,
                BpeTrainerConfig.EOS_PIECE));
        if (config.byteFallback()) {
            for (int b = 0; b < BpeTrainerConfig.BYTE_PIECES; b++) {
                meta.add(String.format(Locale.ROOT, "<0x%02X>", b)); // SentencePiece ByteToPiece
            }
        }
        return meta;
    }

    /** A character or a candidate pair; pairs are identified by their two parts, as in SentencePiece. */
    private static final class Symbol {
        final int id;
        final int[] chars;
        final Symbol left;
        final Symbol right;
        final boolean unknown;
        /** Sum of word counts over valid positions; 0 means stale (recount before use). */
        long freq;
        /** Encoded positions (word << 32 | left << 16 | right), in ascending order. */
        final PositionSet positions = new PositionSet();

        Symbol(int id, int[] chars, Symbol left, Symbol right, boolean unknown) {
            this.id = id;
            this.chars = chars;
            this.left = left;
            this.right = right;
            this.unknown = unknown;
        }

        boolean isPair() {
            return left != null;
        }

        String text() {
            return new String(chars, 0, chars.length);
        }
    }

    /**
     * Better-first order: higher frequency, then fewer characters, then the smaller string
     * (code point order equals UTF-8 byte order, SentencePiece's std::string comparison), then
     * the older candidate (only equal strings from different splits get that far).
     */
    private static int betterFirst(Symbol a, Symbol b) {
        if (a.freq != b.freq) {
            return a.freq > b.freq ? -1 : 1;
        }
        if (a.chars.length != b.chars.length) {
            return a.chars.length < b.chars.length ? -1 : 1;
        }
        int byText = Arrays.compare(a.chars, b.chars);
        return byText != 0 ? byText : Integer.compare(a.id, b.id);
    }

    /** The merge loop over one prepared corpus. */
    private final class Merger {
        private final TrainingCorpus corpus;
        private final PieceRules rules;
        /** symbols[word][i]: the symbol starting at character i, or null inside a merged symbol. */
        private final Symbol[][] symbols;
        private final Map<Integer, Symbol> charSymbols = new HashMap<>();
        private final Map<Long, Symbol> pairSymbols = new HashMap<>();
        private final Set<Symbol> active = new HashSet<>();
        private int nextId;

        Merger(TrainingCorpus corpus, PieceRules rules) {
            this.corpus = corpus;
            this.rules = rules;
            int[][] words = corpus.words();
            this.symbols = new Symbol[words.length][];
            for (int w = 0; w < words.length; w++) {
                symbols[w] = new Symbol[words[w].length];
                for (int i = 0; i < words[w].length; i++) {
                    symbols[w][i] = charSymbol(words[w][i]);
                }
            }
            for (int w = 0; w < words.length; w++) {
                for (int i = 1; i < symbols[w].length; i++) {
                    addPair(w, i - 1, i);
                }
            }
        }

        List<String> run(int wanted) {
            List<String> pieces = new ArrayList<>(wanted);
            Set<String> seen = new HashSet<>();
            while (pieces.size() < wanted) {
                if (pieces.size() % ACTIVE_REFRESH_INTERVAL == 0) {
                    refreshActive();
                }
                Symbol best = null;
                for (Symbol s : active) {
                    computeFreq(s);
                    if (best == null || betterFirst(s, best) < 0) {
                        best = s;
                    }
                }
                if (best == null || best.freq == 0) {
                    break; // nothing left to merge
                }
                if (!seen.add(best.text())) {
                    forget(best);
                    continue;
                }
                pieces.add(best.text());
                if (pieces.size() % PROGRESS_INTERVAL == 0 || pieces.size() == wanted) {
                    progress.accept(String.format(Locale.ROOT, "merge %d/%d: '%s' (frequency %d, %d candidates)",
                            pieces.size(), wanted, best.text(), best.freq, pairSymbols.size()));
                }
                merge(best);
                // Only now: while merging, a neighbouring pair equal to best must still find best.
                forget(best);
            }
            return pieces;
        }

        /** Removes a chosen candidate so it is not chosen again. */
        private void forget(Symbol s) {
            pairSymbols.remove(key(s.left, s.right));
            active.remove(s);
        }

        /** Replaces every valid position of {@code best} and updates the neighbouring pairs. */
        private void merge(Symbol best) {
            PositionSet positions = best.positions;
            for (int k = 0; k < positions.size(); k++) {
                long encoded = positions.get(k);
                int w = (int) (encoded >>> 32);
                int l = (int) ((encoded >>> 16) & 0xFFFF);
                int r = (int) (encoded & 0xFFFF);
                if (symbols[w][l] == null) {
                    continue; // merged away by the previous, overlapping position ("aaa")
                }
                int next = nextIndex(w, r);
                int prev = prevIndex(w, l);
                resetFreq(w, prev, l, best);
                resetFreq(w, r, next, best);
                symbols[w][l] = best;
                symbols[w][r] = null;
                addPair(w, prev, l);
                addPair(w, l, next);
            }
        }

        /**
         * UpdateActiveSymbols: the top max(1000, 5% of all symbols) pairs by frequency. Ties at
         * the cut are broken by {@link #betterFirst} (SentencePiece leaves them to hash order).
         */
        private void refreshActive() {
            List<Symbol> pairs = new ArrayList<>(pairSymbols.values());
            long[] freqs = new long[pairs.size()];
            for (int i = 0; i < pairs.size(); i++) {
                computeFreq(pairs.get(i));
                freqs[i] = pairs.get(i).freq;
            }
            int cacheSize = charSymbols.size() + pairSymbols.size();
            int size = Math.min(Math.max(MIN_ACTIVE_SYMBOLS, (int) (cacheSize * TOP_FREQUENT_RATIO)), pairs.size());
            active.clear();
            if (size == 0) {
                return;
            }
            // Everything above the size-th largest frequency is in; the ties at it compete.
            Arrays.sort(freqs);
            long cut = freqs[freqs.length - size];
            List<Symbol> ties = new ArrayList<>();
            for (Symbol s : pairs) {
                if (s.freq > cut) {
                    active.add(s);
                } else if (s.freq == cut) {
                    ties.add(s);
                }
            }
            ties.sort(BpeTrainer::betterFirst);
            active.addAll(ties.subList(0, size - active.size()));
        }

        /** ComputeFreq: drops stale and overlapping positions, sums the word counts of the rest. */
        private void computeFreq(Symbol s) {
            if (s.freq > 0) {
                return;
            }
            int prevWord = -1;
            int prevRight = 0;
            PositionSet positions = s.positions;
            int kept = 0;
            for (int k = 0; k < positions.size(); k++) {
                long encoded = positions.get(k);
                int w = (int) (encoded >>> 32);
                int l = (int) ((encoded >>> 16) & 0xFFFF);
                int r = (int) (encoded & 0xFFFF);
                if ((w == prevWord && l == prevRight) || symbols[w][l] != s.left || symbols[w][r] != s.right) {
                    prevWord = -1; // dropped for good; in "aaaa" the last "aa" counts again
                    prevRight = 0;
                } else {
                    s.freq += corpus.wordCounts()[w];
                    positions.set(kept++, encoded);
                    prevWord = w;
                    prevRight = r;
                }
            }
            positions.truncate(kept);
        }

        private void addPair(int w, int l, int r) {
            if (l < 0 || r < 0) {
                return;
            }
            Symbol pair = pairSymbol(symbols[w][l], symbols[w][r]);
            if (pair != null) {
                active.add(pair);
                pair.positions.add(((long) w << 32) | ((long) l << 16) | r);
            }
        }

        private void resetFreq(int w, int l, int r, Symbol best) {
            if (l < 0 || r < 0) {
                return;
            }
            Symbol pair = pairSymbol(symbols[w][l], symbols[w][r]);
            if (pair != null && pair != best) {
                pair.freq = 0;
            }
        }

        private Symbol charSymbol(int c) {
            return charSymbols.computeIfAbsent(c,
                    k -> new Symbol(nextId++, new int[] {k}, null, null, k == TrainingCorpus.UNKNOWN_CHAR));
        }

        /** GetPairSymbol: the candidate for left+right, made on first sight; null if not a valid piece. */
        private Symbol pairSymbol(Symbol left, Symbol right) {
            if (left == null || right == null || left.unknown || right.unknown) {
                return null;
            }
            long key = key(left, right);
            Symbol cached = pairSymbols.get(key);
            if (cached != null) {
                return cached;
            }
            int[] chars = Arrays.copyOf(left.chars, left.chars.length + right.chars.length);
            System.arraycopy(right.chars, 0, chars, left.chars.length, right.chars.length);
            if (!rules.isValid(chars)) {
                return null;
            }
            Symbol pair = new Symbol(nextId++, chars, left, right, false);
            pairSymbols.put(key, pair);
            return pair;
        }

        /**
         * A unique key per (left, right). The odd multiplier is a bijection on 64-bit values that
         * spreads the bits, since Long.hashCode (high ^ low) would collide for small ids.
         */
        private static long key(Symbol left, Symbol right) {
            return (((long) left.id << 32) | (right.id & 0xFFFFFFFFL)) * KEY_MIX;
        }

        private int nextIndex(int w, int index) {
            for (int i = index + 1; i < symbols[w].length; i++) {
                if (symbols[w][i] != null) {
                    return i;
                }
            }
            return -1;
        }

        private int prevIndex(int w, int index) {
            for (int i = index - 1; i >= 0; i--) {
                if (symbols[w][i] != null) {
                    return i;
                }
            }
            return -1;
        }
    }
}
