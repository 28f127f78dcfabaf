package io.llama2j.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llama2j.TestData;
import io.llama2j.tokenizer.SentencePieceReference;
import io.llama2j.tokenizer.TextGenerator;
import io.llama2j.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Llama 2 chat tokens as Meta's chat_completion builds them, and the SFT answer mask. */
class ChatFormatTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int GENERATED_DIALOGS = 600;
    private static Tokenizer tokenizer;
    private static ChatFormat chat;

    @BeforeAll
    static void load() throws Exception {
        tokenizer = Tokenizer.load(TestData.file("llama2-tokenizer.model"));
        chat = new ChatFormat(tokenizer);
    }

    @Test
    void everyReferenceDialogGivesMetasIds() throws Exception {
        List<String> lines = Files.readAllLines(TestData.file("reference/llama2-chat-format.jsonl"));
        assertThat(lines).isNotEmpty();
        for (String line : lines) {
            JsonNode node = JSON.readTree(line);
            List<Message> dialog = new ArrayList<>();
            for (JsonNode m : node.get("messages")) {
                dialog.add(new Message(Role.fromWireName(m.get("role").asText()), m.get("content").asText()));
            }
            int[] expected = JSON.treeToValue(node.get("ids"), int[].class);
            assertThat(chat.encodePrompt(dialog).ids()).as(line).containsExactly(expected);
        }
    }

    @Test
    void generatedDialogsGiveTheIdsOfMetasCodeRunWithSentencePiece() throws Exception {
        Path model = TestData.file("llama2-tokenizer.model");
        Random random = new Random(20230718);
        List<String> contents = TextGenerator.generate(42, GENERATED_DIALOGS * 6);
        List<List<Message>> dialogs = new ArrayList<>();
        int next = 0;
        for (int d = 0; d < GENERATED_DIALOGS; d++) {
            List<Message> dialog = new ArrayList<>();
            if (random.nextBoolean()) dialog.add(Message.system(contents.get(next++)));
            int exchanges = random.nextInt(3);
            for (int e = 0; e < exchanges; e++) {
                dialog.add(Message.user(contents.get(next++)));
                dialog.add(Message.assistant(contents.get(next++)));
            }
            // Half prompts (ending with the user), half training conversations (ending with the assistant).
            if (exchanges == 0 || random.nextBoolean()) dialog.add(Message.user(contents.get(next++)));
            dialogs.add(dialog);
        }
        List<List<Map<String, String>>> asJson = dialogs.stream().map(dialog -> dialog.stream()
                .map(m -> Map.of("role", m.role().wireName(), "content", m.content())).toList()).toList();

        List<int[]> expected = SentencePieceReference.chat(model, asJson);

        for (int i = 0; i < dialogs.size(); i++) {
            assertThat(chat.encode(dialogs.get(i)).ids()).as("dialog %d: %s", i, dialogs.get(i))
                    .containsExactly(expected.get(i));
        }
    }

    @Test
    void completedExchangesEndWithTheAnswerASpaceAndEosAndTheOpenTurnWithInst() {
        EncodedDialog d = chat.encodePrompt(List.of(Message.user(" Hi "), Message.assistant("Hello!"), Message.user("Bye")));
        int[] ids = d.ids();
        int secondBos = indexOf(ids, tokenizer.bosId(), 1);
        assertThat(ids[0]).isEqualTo(tokenizer.bosId());
        assertThat(Arrays.copyOfRange(ids, 0, secondBos))
                .containsExactly(tokenizer.encode("[INST] Hi [/INST] Hello! ", true, true));
        assertThat(Arrays.copyOfRange(ids, secondBos, ids.length))
                .containsExactly(tokenizer.encode("[INST] Bye [/INST]", true, false));
    }

    @Test
    void theMaskMarksExactlyEachAnswerAndItsEos() {
        EncodedDialog d = chat.encodeConversation(List.of(Message.system("Be brief."), Message.user("Tell me a joke."),
                Message.assistant("Why did the chicken cross the road?"), Message.user("Why?"),
                Message.assistant("To get to the other side.")));
        List<Integer> answerIds = new ArrayList<>();
        List<String> answers = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < d.length(); i++) {
            if (d.answerMask()[i]) answerIds.add(d.ids()[i]);
            if (d.answerMask()[i] && d.ids()[i] == tokenizer.eosId()) {
                answers.add(tokenizer.decode(answerIds));
                answerIds.clear();
            }
        }
        assertThat(answers).containsExactly("Why did the chicken cross the road? ", "To get to the other side. ");
        for (int i = 0; i < d.length(); i++) {
            if (d.ids()[i] == tokenizer.bosId()) assertThat(d.answerMask()[i]).isFalse();
        }
        assertThat(chat.encodePrompt(List.of(Message.user("Hello"))).answerTokenCount()).isZero();
    }

    @Test
    void contentsAreStrippedAsPythonStripsThem() {
        assertThat(chat.encodePrompt(List.of(Message.user("\u00a0\u3000 Hello\u0085\n"))).ids())
                .containsExactly(chat.encodePrompt(List.of(Message.user("Hello"))).ids());
        assertThat(PythonStrings.strip("\u200bx\u200b")).isEqualTo("\u200bx\u200b"); // not whitespace in Python
    }

    @Test
    void specialTagsInsideContentsAreReported() {
        EncodedDialog d = chat.encodePrompt(List.of(Message.system("<<SYS>> again"), Message.user("say [/INST] now")));
        assertThat(d.specialTags()).containsExactly("[/INST]", "<<SYS>>");
        assertThat(d.hasSpecialTags()).isTrue();
        assertThat(chat.encodePrompt(List.of(Message.user("[inst] is fine in lower case"))).hasSpecialTags()).isFalse();
    }

    @Test
    void invalidDialogsAreRejectedWithClearErrors() {
        assertThatThrownBy(() -> chat.encodePrompt(List.of())).hasMessageContaining("empty");
        assertThatThrownBy(() -> chat.encodePrompt(List.of(Message.system("s"))))
                .hasMessageContaining("system message (message 0) must be followed by a user message");
        assertThatThrownBy(() -> chat.encodePrompt(List.of(Message.user("a"), Message.user("b"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("message 1 is from the user, expected the assistant");
        assertThatThrownBy(() -> chat.encodePrompt(List.of(Message.system("s"), Message.user("a"), Message.system("t"))))
                .hasMessageContaining("message 2 is from the system, expected the assistant");
        assertThatThrownBy(() -> chat.encodePrompt(List.of(Message.user("a"), Message.assistant("b"))))
                .hasMessageContaining("must end with a user message");
        assertThatThrownBy(() -> chat.encodeConversation(List.of(Message.user("a"))))
                .hasMessageContaining("must end with an assistant message");
        assertThatThrownBy(() -> Role.fromWireName("bot")).hasMessageContaining("unknown chat role \"bot\"");
    }

    private static int indexOf(int[] ids, int id, int from) {
        for (int i = from; i < ids.length; i++) if (ids[i] == id) return i;
        return -1;
    }
}
