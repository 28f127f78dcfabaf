package io.llama2j.server.schedule;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StopSequencesTest {

    @Test
    void withoutStopStringsTextPassesThroughAtOnce() {
        StopSequences stops = new StopSequences(List.of());
        assertThat(stops.push("Once")).isEqualTo("Once");
        assertThat(stops.push(" upon")).isEqualTo(" upon");
        assertThat(stops.stopped()).isFalse();
    }

    @Test
    void aStopStringSplitOverPiecesIsHeldBackThenRemoved() {
        StopSequences stops = new StopSequences(List.of("\nUser:"));
        assertThat(stops.push("Hi there\nUs")).isEqualTo("Hi there");
        assertThat(stops.push("er:")).isEmpty();
        assertThat(stops.stopped()).isTrue();
        assertThat(stops.push("more")).isEmpty();
        assertThat(stops.flush()).isEmpty();
    }

    @Test
    void aHeldPrefixThatDoesNotCompleteIsReleased() {
        StopSequences stops = new StopSequences(List.of("END"));
        assertThat(stops.push("the EN")).isEqualTo("the ");
        assertThat(stops.push("d")).isEqualTo("ENd");
        assertThat(stops.push(" E")).isEqualTo(" ");
        assertThat(stops.flush()).isEqualTo("E");
    }

    @Test
    void theEarliestOfSeveralStopStringsWins() {
        StopSequences stops = new StopSequences(List.of("dog", "cat"));
        assertThat(stops.push("a cat and a dog")).isEqualTo("a ");
        assertThat(stops.stopped()).isTrue();
    }

    @Property
    void releasedTextIsTheInputUpToTheFirstStop(@ForAll @StringLength(max = 40) String text,
                                                @ForAll @IntRange(min = 1, max = 5) int pieceLength) {
        String stop = "ab";
        StopSequences stops = new StopSequences(List.of(stop));
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && !stops.stopped(); i += pieceLength) {
            out.append(stops.push(text.substring(i, Math.min(text.length(), i + pieceLength))));
        }
        out.append(stops.flush());
        int at = text.indexOf(stop);
        assertThat(out.toString()).isEqualTo(at < 0 ? text : text.substring(0, at));
        assertThat(stops.stopped()).isEqualTo(at >= 0);
    }
}
