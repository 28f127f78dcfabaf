package io.llama2j.chat;

/**
 * Python's {@code str.strip()} with no argument, which Meta's chat format applies to contents.
 * It strips what {@code str.isspace()} accepts (Unicode White_Space plus the separators U+001C..
 * U+001F), a different set from Java's {@link String#strip()} (which keeps U+00A0, U+2007, U+202F
 * and U+0085).
 */
final class PythonStrings {
    private PythonStrings() {}

    static String strip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isSpace(s.charAt(start))) start++;
        while (end > start && isSpace(s.charAt(end - 1))) end--;
        return s.substring(start, end);
    }

    /** Python 3's str.isspace() for one character (all such characters are in the BMP). */
    static boolean isSpace(char c) {
        return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }
}
