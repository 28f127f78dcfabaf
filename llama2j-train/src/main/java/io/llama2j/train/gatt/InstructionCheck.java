package io.llama2j.train.gatt;

import java.util.Locale;
import java.util.function.Predicate;

/**
 * An automatic check that an answer follows a system instruction, for measuring how many turns a
 * model keeps it (Llama 2 paper §3.3, Figure 10 asks the same question of attention maps; here
 * it is asked of the answers). Parsed from a short spec:
 * <ul>
 *   <li>{@code ends-with:WORD}: the last word of the answer (trailing punctuation ignored) is WORD
 *       ("End every answer with the word 'Okay'");</li>
 *   <li>{@code contains:WORD}: WORD occurs in the answer as a word;</li>
 *   <li>{@code uppercase}: the answer has letters and none is lower case ("Always answer in
 *       capital letters").</li>
 * </ul>
 * Words compare case-sensitively.
 */
public record InstructionCheck(String spec, Predicate<String> test) {
    public static final String ENDS_WITH = "ends-with:", CONTAINS = "contains:", UPPERCASE = "uppercase";

    public static InstructionCheck parse(String spec) {
        if (spec.startsWith(ENDS_WITH) && spec.length() > ENDS_WITH.length()) {
            String word = spec.substring(ENDS_WITH.length());
            return new InstructionCheck(spec, answer -> lastWord(answer).equals(word));
        }
        if (spec.startsWith(CONTAINS) && spec.length() > CONTAINS.length()) {
            String word = spec.substring(CONTAINS.length());
            return new InstructionCheck(spec, answer -> words(answer).contains(word));
        }
        if (spec.equals(UPPERCASE)) {
            return new InstructionCheck(spec, answer -> answer.chars().anyMatch(Character::isLetter)
                    && answer.equals(answer.toUpperCase(Locale.ROOT)));
        }
        throw new IllegalArgumentException("instruction check '" + spec + "': expected " + ENDS_WITH + "WORD, "
                + CONTAINS + "WORD or " + UPPERCASE);
    }

    public boolean passes(String answer) { return test.test(answer); }

    private static java.util.List<String> words(String text) {
        return java.util.Arrays.stream(text.split("[^\\p{L}\\p{N}'-]+")).filter(w -> !w.isEmpty()).toList();
    }

    private static String lastWord(String text) {
        java.util.List<String> w = words(text);
        return w.isEmpty() ? "" : w.getLast();
    }

    @Override public String toString() { return spec; }
}
