package io.llama2j.train.sft;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.llama2j.TestData;
import io.llama2j.chat.ChatFormat;
import io.llama2j.chat.EncodedDialog;
import io.llama2j.chat.Message;
import io.llama2j.model.LlamaConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.tokenizer.Tokenizer;
import io.llama2j.train.ModelInit;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.TokenBatch;
import io.llama2j.train.TrainingModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SFT data: answer-only loss (paper §3.1) as a mask, packing, and the mask's effect on gradients. */
class SftTest {
    private static final Parallel PARALLEL = new Parallel(2);

    @AfterAll
    static void close() { PARALLEL.close(); }

    @Test
    void changingAMaskedTokensTargetChangesNoGradient() {
        LlamaConfig config = new LlamaConfig(16, 24, 2, 4, 2, 11, 8, 1e-5f, 10000f);
        ModelParameters params = ModelParameters.initialized(config, false, new ModelInit(0.3, 7));
        TrainingModel model = new TrainingModel(params, 1, 6, PARALLEL);
        int[] inputs = {1, 5, 6, 2, 9, 3};
        int[] targets = {5, 6, 2, 9, 3, 4};
        float[] mask = {0, 0, 1, 1, 0, 1};
        params.zeroGradients();
        model.forwardBackward(new TokenBatch(1, 6, inputs, targets, mask), 0.25f);
        float[] before = params.gradients().clone();
        int[] changed = targets.clone();
        changed[1] = 10; // a prompt token's target
        changed[4] = 0;
        params.zeroGradients();
        model.forwardBackward(new TokenBatch(1, 6, inputs, changed, mask), 0.25f);
        assertThat(params.gradients()).containsExactly(before);
        changed[2] = 10; // an answer token's target: the gradient must move
        params.zeroGradients();
        model.forwardBackward(new TokenBatch(1, 6, inputs, changed, mask), 0.25f);
        assertThat(params.gradients()).isNotEqualTo(before);
    }

    @Test
    void packedSequencesTrainOnExactlyTheAnswerTokensOfEveryConversation() throws IOException {
        ChatFormat format = new ChatFormat(Tokenizer.load(TestData.file("llama2-tokenizer.model")));
        List<Conversations.Conversation> conversations = List.of(
                Conversations.Conversation.of(List.of(Message.user("What is 2 + 2?"), Message.assistant("4"))),
                Conversations.Conversation.of(List.of(Message.system("Be brief."), Message.user("Capital of France?"),
                        Message.assistant("Paris."), Message.user("And of Italy?"), Message.assistant("Rome."))),
                Conversations.Conversation.of(List.of(Message.user("Say hi"), Message.assistant("Hi!"))));
        int total = 0;
        for (var c : conversations) total += format.encodeConversation(c.messages()).length();
        PackedSequences packed = PackedSequences.pack(conversations, format, total - 1);
        assertThat(packed.size()).as("all three fit one sequence").isEqualTo(1);
        assertThat(packed.truncated()).isZero();

        int position = 0;
        for (var c : conversations) {
            EncodedDialog d = format.encodeConversation(c.messages());
            for (int i = 0; i < d.length(); i++, position++) {
                if (position == 0) continue; // the first token is predicted by nothing
                assertThat(packed.targets().getFirst()[position - 1]).isEqualTo(d.ids()[i]);
                assertThat(packed.mask().getFirst()[position - 1]).as("token %d of %s", i, c.messages())
                        .isEqualTo(d.answerMask()[i] ? 1f : 0f);
            }
        }
        assertThat(packed.answerTokens()).isEqualTo(conversations.stream()
                .mapToLong(c -> format.encodeConversation(c.messages()).answerTokenCount()).sum());

        PackedSequences narrow = PackedSequences.pack(conversations, format, 24);
        assertThat(narrow.size()).as("one conversation per sequence when they do not fit together").isEqualTo(3);
        assertThat(narrow.truncated()).isEqualTo(1);
    }

    @Test
    void answersMarkedNotTrainedAreMaskedLikeThePrompt() throws IOException {
        ChatFormat format = new ChatFormat(Tokenizer.load(TestData.file("llama2-tokenizer.model")));
        var messages = List.of(Message.system("Act as Napoleon."), Message.user("Hello"), Message.assistant("Bonjour."),
                Message.user("Where are you?"), Message.assistant("In Paris."));
        var gatt = new Conversations.Conversation(messages, List.of(false, false, false, false, true));
        EncodedDialog d = format.encodeConversation(messages);
        boolean[] mask = PackedSequences.answerMask(d, gatt);
        int trained = 0;
        for (boolean m : mask) if (m) trained++;
        int lastExchangeStart = 0;
        for (int i = 0; i < d.length(); i++) if (d.ids()[i] == 1) lastExchangeStart = i; // BOS starts each exchange
        for (int i = 0; i < lastExchangeStart; i++) assertThat(mask[i]).as("earlier turn token %d", i).isFalse();
        assertThat(trained).isPositive().isLessThan(d.answerTokenCount());
    }

    @Test
    void readsMessagesAndSelfInstructLinesAndNamesTheBadLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("data.jsonl");
        Files.writeString(file, """
                {"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}
                {"instruction":"Add the numbers.","instances":[{"input":"2 3","output":"5"}]}
                """);
        var read = Conversations.read(file);
        assertThat(read).hasSize(2);
        assertThat(read.get(1).messages()).containsExactly(Message.user("Add the numbers.\n\n2 3"), Message.assistant("5"));
        Files.writeString(file, "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}\n{\"text\":1}\n");
        assertThatThrownBy(() -> Conversations.read(file)).hasMessageContaining(file + ":1").hasMessageContaining("end with an assistant");
        Files.writeString(file, "{\"text\":1}\n");
        assertThatThrownBy(() -> Conversations.read(file)).hasMessageContaining(file + ":1").hasMessageContaining("[text]");
    }

    @Test
    void batchesVisitEverySequenceOncePerEpochAndResumeFromAPosition() {
        int n = 7, seq = 3;
        List<int[]> ins = new java.util.ArrayList<>(), outs = new java.util.ArrayList<>();
        List<float[]> masks = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            ins.add(new int[]{i, i, i});
            outs.add(new int[]{i, i, i});
            masks.add(new float[]{1, 1, 1});
        }
        PackedSequences data = new PackedSequences(seq, ins, outs, masks, 0, n * 3L);
        SftBatches batches = new SftBatches(data, 1, 42, true);
        java.util.Set<Integer> epoch = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) epoch.add(batches.next().inputs()[0]);
        assertThat(epoch).hasSize(n);
        TokenBatch tenth = new SftBatches(data, 1, 42, true).next();
        SftBatches resumed = new SftBatches(data, 1, 42, true);
        SftBatches straight = new SftBatches(data, 1, 42, true);
        for (int i = 0; i < 10; i++) straight.next();
        resumed.seek(10);
        assertThat(resumed.next().inputs()).containsExactly(straight.next().inputs());
        assertThat(tenth.batch()).isEqualTo(1);
        assertThat(SftBatches.steps(27_540, 2, 64)).isEqualTo(861);
    }
}
