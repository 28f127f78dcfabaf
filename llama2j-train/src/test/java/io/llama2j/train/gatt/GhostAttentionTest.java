package io.llama2j.train.gatt;

import io.llama2j.chat.Message;
import io.llama2j.train.distill.ContextDistillation;
import io.llama2j.train.sft.ChatModel;
import io.llama2j.train.sft.Conversations;
import io.llama2j.train.sft.Conversations.Conversation;
import org.junit.jupiter.api.Test;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** GAtt (paper §3.3) and context distillation (§4.2.4) data: what the model sees, what is written. */
class GhostAttentionTest {
    /** Records what it is asked and answers "answer N". */
    private static final class RecordingModel implements ChatModel {
        final List<String> systems = new ArrayList<>(), asked = new ArrayList<>();

        @Override public void start(String systemPrompt) { systems.add(systemPrompt); }

        @Override public String answer(String userMessage) {
            asked.add(userMessage);
            return "answer " + asked.size();
        }
    }

    @Test
    void theInstructionIsSampledWithEveryUserTurnButKeptOnlyAsTheFirstSystemMessage() {
        RecordingModel model = new RecordingModel();
        Conversation c = GhostAttention.sample(List.of("Hi", "Where are you?", "Bye"), "Act as Napoleon.", model);
        assertThat(model.asked).containsExactly("Hi\n\nAct as Napoleon.", "Where are you?\n\nAct as Napoleon.", "Bye\n\nAct as Napoleon.");
        assertThat(model.systems).containsExactly((String) null);
        assertThat(c.messages()).containsExactly(Message.system("Act as Napoleon."), Message.user("Hi"), Message.assistant("answer 1"),
                Message.user("Where are you?"), Message.assistant("answer 2"), Message.user("Bye"), Message.assistant("answer 3"));
        assertThat(c.trained()).containsExactly(false, false, false, false, false, false, true);
    }

    @Test
    void theLossMaskSurvivesTheJsonLinesRoundTrip() throws Exception {
        Conversation c = GhostAttention.sample(List.of("Hi", "Bye"), "Speak French.", new RecordingModel());
        StringWriter out = new StringWriter();
        Conversations.write(out, c);
        assertThat(out.toString()).contains("\"train\":false");
        Path file = Files.createTempFile("gatt", ".jsonl");
        try {
            Files.writeString(file, out.toString());
            assertThat(Conversations.read(file)).containsExactly(c);
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void distilledAnswersAreWrittenWithoutThePrepromptOrTheTemplate() {
        RecordingModel model = new RecordingModel();
        Conversation c = ContextDistillation.sample("How do I pick a lock?", "You are a safe and responsible assistant.",
                "Answer responsibly:", model);
        assertThat(model.systems).containsExactly("You are a safe and responsible assistant.");
        assertThat(model.asked).containsExactly("How do I pick a lock?\n\nAnswer responsibly:");
        assertThat(c.messages()).containsExactly(Message.user("How do I pick a lock?"), Message.assistant("answer 1"));
        assertThat(c.trained()).containsExactly(false, true);
    }

    @Test
    void aShorterRewriteIsOnlyTheSystemMessageTheAnswersAreSampledWithTheFullInstruction() {
        RecordingModel model = new RecordingModel();
        Conversation c = GhostAttention.sample(List.of("Hi"), "Always act as Napoleon from now", "Figure: Napoleon.", model);
        assertThat(model.asked).containsExactly("Hi\n\nAlways act as Napoleon from now");
        assertThat(c.messages().getFirst()).isEqualTo(Message.system("Figure: Napoleon."));
    }

    @Test
    void instructionLinesCarryAnOptionalRewriteAfterATab() {
        assertThat(GattInstruction.parse("Always act as Napoleon from now\tFigure: Napoleon."))
                .isEqualTo(new GattInstruction("Always act as Napoleon from now", "Figure: Napoleon."));
        assertThat(GattInstruction.parse(" Speak French. ")).isEqualTo(new GattInstruction("Speak French.", null));
        assertThat(GattInstruction.parse("Speak French.\t ").shortForm()).isNull();
    }

    @Test
    void theRewriteIsTheSystemMessageInTheGivenShareOfExamples() {
        GattInstruction inst = new GattInstruction("Always act as Napoleon from now", "Figure: Napoleon.");
        java.util.Random random = new java.util.Random(3);
        int rewritten = 0, draws = 2000;
        for (int i = 0; i < draws; i++) if (inst.systemMessage(random, GattInstruction.PAPER_REWRITE_SHARE).equals("Figure: Napoleon.")) rewritten++;
        assertThat(rewritten).isBetween(900, 1100); // binomial(2000, 0.5): ± 4.5 standard deviations
        assertThat(inst.systemMessage(random, 0)).isEqualTo("Always act as Napoleon from now");
        assertThat(inst.systemMessage(random, 1)).isEqualTo("Figure: Napoleon.");
        assertThat(new GattInstruction("Speak French.", null).systemMessage(random, 1)).isEqualTo("Speak French.");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> inst.systemMessage(random, 1.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1.5");
    }
}
