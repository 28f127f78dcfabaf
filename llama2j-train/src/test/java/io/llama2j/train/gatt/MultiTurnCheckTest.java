package io.llama2j.train.gatt;

import io.llama2j.train.sft.ChatModel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The multi-turn instruction check: what a following answer is, and how turns are counted. */
class MultiTurnCheckTest {
    /** Follows its system message ("say X") for the first {@code memory} turns of a dialog, then forgets it. */
    private static final class ForgetfulModel implements ChatModel {
        final int memory;
        final List<String> systems = new ArrayList<>();
        int turn, contextTurns = Integer.MAX_VALUE;
        String word;

        ForgetfulModel(int memory) { this.memory = memory; }

        @Override public void start(String systemPrompt) {
            systems.add(systemPrompt);
            word = systemPrompt.substring("say ".length());
            turn = 0;
        }

        @Override public String answer(String userMessage) {
            if (turn == contextTurns) throw new IllegalStateException("context full");
            return "re: " + userMessage + (turn++ < memory ? " " + word + "." : ".");
        }
    }

    @Test
    void countsPerTurnTheAnswersThatFollowTheSystemInstruction() {
        ForgetfulModel model = new ForgetfulModel(2);
        List<List<String>> dialogs = List.of(List.of("a", "b", "c", "d"), List.of("e", "f", "g"), List.of("h"));
        MultiTurnCheck.Result r = MultiTurnCheck.run(model, "say Okay", InstructionCheck.parse("ends-with:Okay"), dialogs, 4);
        assertThat(model.systems).containsExactly("say Okay", "say Okay", "say Okay");
        assertThat(r.asked()).containsExactly(3, 2, 2, 1);
        assertThat(r.passed()).containsExactly(3, 2, 0, 0);
        assertThat(r.rate(0)).isEqualTo(1.0);
        assertThat(r.rate(2)).isZero();
    }

    @Test
    void turnsBeyondTheLimitOrTheContextAreNotCounted() {
        ForgetfulModel model = new ForgetfulModel(5);
        model.contextTurns = 2;
        MultiTurnCheck.Result r = MultiTurnCheck.run(model, "say Okay", InstructionCheck.parse("ends-with:Okay"),
                List.of(List.of("a", "b", "c", "d", "e")), 3);
        assertThat(r.asked()).containsExactly(1, 1, 0);
        assertThat(r.rate(2)).isNaN();
    }

    @Test
    void endsWithLooksAtTheLastWordPastTrailingPunctuation() {
        InstructionCheck c = InstructionCheck.parse("ends-with:Okay");
        assertThat(c.passes("The dog ran home. Okay.")).isTrue();
        assertThat(c.passes("Okay!\n")).isTrue();
        assertThat(c.passes("Okay, the dog ran home.")).isFalse();
        assertThat(c.passes("It was okay")).isFalse();
        assertThat(c.passes("")).isFalse();
    }

    @Test
    void containsMatchesWholeWordsAndUppercaseNeedsLettersAllInCapitals() {
        assertThat(InstructionCheck.parse("contains:moon").passes("The moon, high up.")).isTrue();
        assertThat(InstructionCheck.parse("contains:moon").passes("Moonlight")).isFalse();
        InstructionCheck upper = InstructionCheck.parse("uppercase");
        assertThat(upper.passes("HELLO, WORLD 42!")).isTrue();
        assertThat(upper.passes("HELLO, World")).isFalse();
        assertThat(upper.passes("42!")).isFalse();
    }

    @Test
    void anUnknownCheckIsRejectedListingTheKnownOnes() {
        assertThatThrownBy(() -> InstructionCheck.parse("rhymes")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rhymes").hasMessageContaining("ends-with:WORD");
        assertThatThrownBy(() -> InstructionCheck.parse("ends-with:")).isInstanceOf(IllegalArgumentException.class);
    }
}
