package io.llama2j.train.gatt;

import java.util.Random;

/**
 * A Ghost Attention instruction and, optionally, its less verbose rewrite (Llama 2 paper §3.3:
 * "half of the time" the system message of the training data is a shorter form, e.g. "Always
 * act as Napoleon from now" → "Figure: Napoleon."). Answers are always sampled with the full
 * {@link #text}; the training data's system message is {@link #shortForm} with probability
 * {@code rewriteShare}. Read from instruction files as {@code TEXT} or {@code TEXT<TAB>SHORT}.
 */
public record GattInstruction(String text, String shortForm) {
    /** The paper's share of training examples whose system message is the less verbose rewrite. */
    public static final double PAPER_REWRITE_SHARE = 0.5;
    /** Separates an instruction from its rewrite on an instruction file's line. */
    public static final char SEPARATOR = '\t';

    public GattInstruction {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("the GAtt instruction is empty");
        if (shortForm != null && shortForm.isBlank()) shortForm = null;
    }

    /** {@code TEXT} or {@code TEXT<TAB>SHORT}, surrounding white space stripped. */
    public static GattInstruction parse(String line) {
        int tab = line.indexOf(SEPARATOR);
        if (tab < 0) return new GattInstruction(line.strip(), null);
        return new GattInstruction(line.substring(0, tab).strip(), line.substring(tab + 1).strip());
    }

    /** The system message of one training example: the rewrite with probability {@code rewriteShare} (when there is one). */
    public String systemMessage(Random random, double rewriteShare) {
        if (!(rewriteShare >= 0 && rewriteShare <= 1)) {
            throw new IllegalArgumentException("the rewrite share must be in [0, 1], found " + rewriteShare);
        }
        return shortForm != null && random.nextDouble() < rewriteShare ? shortForm : text;
    }
}
