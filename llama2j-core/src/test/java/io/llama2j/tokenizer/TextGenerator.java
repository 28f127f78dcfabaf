package io.llama2j.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Reproducible hard inputs for differential tests: random Unicode across scripts, CJK, emoji with
 * ZWJ sequences and skin tones, combining marks, control characters, runs of spaces, tabs and
 * newlines, digits, leading and trailing spaces, and fragments that look like special tokens.
 */
public final class TextGenerator {
    private static final int[][] RANGES = {
            {0x20, 0x7E},       // ASCII
            {0x20, 0x7E},
            {0xA0, 0x24F},      // Latin-1 and Latin Extended
            {0x370, 0x3FF},     // Greek
            {0x400, 0x4FF},     // Cyrillic
            {0x590, 0x6FF},     // Hebrew, Arabic
            {0x900, 0x97F},     // Devanagari
            {0xE00, 0xE7F},     // Thai
            {0x3040, 0x30FF},   // Hiragana, Katakana
            {0x4E00, 0x9FFF},   // CJK
            {0x4E00, 0x9FFF},
            {0xAC00, 0xD7A3},   // Hangul
            {0x1F300, 0x1FAFF}, // emoji
            {0x300, 0x36F},     // combining marks
            {0x0, 0x1F},        // C0 controls
            {0x7F, 0x9F},       // DEL, C1 controls
            {0x2000, 0x206F},   // general punctuation: odd spaces, ZWJ, ZWNJ, bidi marks
            {0xE000, 0xF8FF},   // private use
            {0x10000, 0x10FFFF},// anywhere above the BMP
            {0x30, 0x39},       // digits
    };
    private static final String[] FRAGMENTS = {
            " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", " \n ", "\u3000", "\u00A0",
            "[INST]", "[/INST]", "<<SYS>>", "<</SYS>>", "<s>", "</s>", "<unk>", "<0x0A>", "<0xFF>",
            "\u2581", "\u2581\u2581", "1234567890", "3.14159", "2023-07-18",
            "\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67", "\uD83D\uDC4D\uD83C\uDFFD",
            "\uD83C\uDDEB\uD83C\uDDF7", "e\u0301", "\u0915\u094D\u0937", "\uFEFF", "\uFFFD",
            "Hello", " world", "Once upon a time", "the", "ing", " don't", "I'm", "\u00e9t\u00e9",
            "\u4f60\u597d", "\u3053\u3093\u306b\u3061\u306f", "\uc548\ub155",
    };

    private TextGenerator() {}

    public static List<String> generate(long seed, int count) {
        Random random = new Random(seed);
        List<String> texts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) texts.add(one(random));
        return texts;
    }

    private static String one(Random random) {
        StringBuilder sb = new StringBuilder();
        int parts = random.nextInt(12);
        if (random.nextInt(8) == 0) sb.append(" ".repeat(1 + random.nextInt(3)));
        for (int p = 0; p < parts; p++) {
            if (random.nextInt(3) == 0) {
                sb.append(FRAGMENTS[random.nextInt(FRAGMENTS.length)]);
            } else {
                int[] range = RANGES[random.nextInt(RANGES.length)];
                int run = 1 + random.nextInt(6);
                for (int k = 0; k < run; k++) {
                    int cp = range[0] + random.nextInt(range[1] - range[0] + 1);
                    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x'; // UTF-8 cannot carry surrogates
                    sb.appendCodePoint(cp);
                }
            }
        }
        if (random.nextInt(8) == 0) sb.append(" ".repeat(1 + random.nextInt(3)));
        return sb.toString();
    }
}
