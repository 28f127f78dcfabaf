package io.llama2j.cli;

import io.llama2j.chat.ChatFormat;
import io.llama2j.chat.ChatTemplates;
import io.llama2j.generate.ChatSession;
import io.llama2j.generate.GenerationResult;
import io.llama2j.generate.TokenListener;
import io.llama2j.gguf.GgufFile;
import io.llama2j.gguf.GgufTensorInfo;
import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.sampling.Sampler;
import io.llama2j.sampling.SamplerConfig;
import io.llama2j.tensor.GgmlType;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The bundled models/llama2j-chat.gguf (MODEL_CARD.md) as the commands use it when -m is left out. */
class BundledModelCommandTest {
    /** "A few MB at most" (issue 9): the file lives in git. */
    static final long MAX_BUNDLED_BYTES = 8L << 20;
    static final int ANSWER_TOKENS = 48;

    @Test
    void generateWithoutModelOptionWritesFromTheBundledModel() {
        CliRun r = CliRun.of("generate", "-p", "Once upon a time", "-n", "24", "--seed", "7", "-t", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).isNotBlank();
    }

    @Test
    void theBundledFileIsASmallQ8GgufWithItsTokenizerAndMetasChatTemplate() throws Exception {
        Path file = BundledModel.orBundled(null);
        assertThat(Files.size(file)).isLessThan(MAX_BUNDLED_BYTES);
        try (GgufFile gguf = GgufFile.open(file)) {
            assertThat(gguf.getString("general.name")).isEqualTo("llama2j-chat");
            assertThat(gguf.getString("tokenizer.chat_template")).isEqualTo(ChatTemplates.LLAMA2);
            assertThat(gguf.getStringArray("tokenizer.ggml.tokens")).hasSizeGreaterThan(256);
            assertThat(gguf.tensors()).filteredOn(t -> t.shape().length == 2).extracting(GgufTensorInfo::type)
                    .containsOnly(GgmlType.Q8_0);
        }
    }

    @Test
    void aScriptedConversationThroughChatSessionGetsAnAnswerToEveryMessage() throws Exception {
        List<String> script = List.of("Hi!", "Tell me a story about a cat.", "What is your name?");
        try (LoadedModel m = ModelLoader.load(BundledModel.orBundled(null), null)) {
            Llama llama = new Llama(m.config(), m.weights());
            InferenceState state = new InferenceState(m.config(), m.config().contextLength(), InferenceState.DEFAULT_PROMPT_BATCH);
            ChatSession session = new ChatSession(llama, new ChatFormat(m.tokenizer()), state, null, m.tokenizer().eosId());
            Sampler greedy = new Sampler(SamplerConfig.greedy(), m.config().vocabSize());
            for (String message : script) {
                GenerationResult answer = session.answer(message, greedy, ANSWER_TOKENS, () -> false,
                        m.tokenizer().streamingDecoder()::accept, TokenListener.NONE);
                assertThat(answer.text()).as("answer to \"%s\"", message).isNotBlank();
            }
            assertThat(session.dialog()).hasSize(2 * script.size());
        }
    }
}
