package io.llama2j.eval;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Answer extraction and exact match for generation tasks, as lm-evaluation-harness's gsm8k task
 * defines them (gsm8k.yaml filter_list and metric_list):
 * <ul>
 *   <li>strict match: the number after "#### " in the generated text;</li>
 *   <li>flexible extract: the last number anywhere in the generated text;</li>
 *   <li>both sides are compared after removing ",", "$", everything up to "#### " and a final
 *       ".", ignoring case.</li>
 * </ul>
 */
public final class AnswerExtraction {
    private AnswerExtraction() {}

    /** GSM8K marks the final answer of a solution with "####". */
    public static final String ANSWER_MARK = "####";
    private static final Pattern STRICT = Pattern.compile("#### (-?[0-9.,]+)");
    private static final Pattern NUMBER = Pattern.compile("(-?[$0-9.,]{2,})|(-?[0-9]+)");
    private static final Pattern[] IGNORED = {Pattern.compile(","), Pattern.compile("\\$"),
            Pattern.compile("(?s).*#### "), Pattern.compile("\\.$")};

    /** The value a reference answer ends in: the text after its last "####", or the whole answer. */
    public static String referenceValue(String answer) {
        int mark = answer.lastIndexOf(ANSWER_MARK);
        return (mark < 0 ? answer : answer.substring(mark + ANSWER_MARK.length())).strip();
    }

    /** The number after "#### " in generated text (the first such mark), if any. */
    public static Optional<String> strict(String generated) {
        Matcher m = STRICT.matcher(generated);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** The last number in generated text, if any. */
    public static Optional<String> lastNumber(String generated) {
        Matcher m = NUMBER.matcher(generated);
        String last = null;
        while (m.find()) last = m.group(1) != null ? m.group(1) : m.group(2);
        return Optional.ofNullable(last);
    }

    /** Whether an extracted answer equals the reference value after the harness's normalization. */
    public static boolean exactMatch(Optional<String> extracted, String referenceValue) {
        return extracted.isPresent() && normalize(extracted.get()).equals(normalize(referenceValue));
    }

    static String normalize(String s) {
        String out = s;
        for (Pattern p : IGNORED) out = p.matcher(out).replaceAll("");
        return out.strip().toLowerCase(Locale.ROOT);
    }
}
