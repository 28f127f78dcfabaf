package io.llama2j.server.schedule;

import java.util.List;

/**
 * OpenAI "stop" strings over streamed text: text is released as soon as it cannot be the start
 * of a stop string; the first stop string found ends the completion and is not returned.
 */
final class StopSequences {

    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    StopSequences(List<String> stops) {
        this.stops = List.copyOf(stops);
    }

    boolean stopped() {
        return stopped;
    }

    /** Appends newly decoded text; returns the text that can be sent to the client now. */
    String push(String text) {
        if (stopped) {
            return "";
        }
        held.append(text);
        if (stops.isEmpty()) {
            return release(held.length());
        }
        int earliest = -1;
        for (String stop : stops) {
            int at = held.indexOf(stop);
            if (at >= 0 && (earliest < 0 || at < earliest)) {
                earliest = at;
            }
        }
        if (earliest >= 0) {
            stopped = true;
            String before = held.substring(0, earliest);
            held.setLength(0);
            return before;
        }
        return release(held.length() - longestSuffixThatStartsAStop());
    }

    /** The text still held back (a partial stop string) once generation ends for another reason. */
    String flush() {
        return stopped ? "" : release(held.length());
    }

    private int longestSuffixThatStartsAStop() {
        int longest = 0;
        for (String stop : stops) {
            for (int length = Math.min(stop.length() - 1, held.length()); length > longest; length--) {
                if (held.substring(held.length() - length).equals(stop.substring(0, length))) {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }

    private String release(int count) {
        String out = held.substring(0, count);
        held.delete(0, count);
        return out;
    }
}
