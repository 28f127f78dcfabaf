package io.llama2j.server.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RequestFieldsTest {

    private final ObjectMapper json = new ObjectMapper();

    private RequestFields body(String text) {
        return RequestFields.parse(json, text);
    }

    @Test
    void malformedJsonIsA400NamingThePosition() {
        assertThatThrownBy(() -> body("{\"a\": ["))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.code()).isEqualTo("invalid_json");
                    assertThat(e.getMessage()).contains("line 1");
                });
    }

    @Test
    void aBodyThatIsNotAnObjectIsRejected() {
        assertThatThrownBy(() -> body("[1,2]")).isInstanceOf(ApiException.class).hasMessageContaining("JSON object");
        assertThatThrownBy(() -> body("")).isInstanceOf(ApiException.class).hasMessageContaining("nothing");
    }

    @Test
    void wrongTypesNameTheFieldAndWhatWasFound() {
        assertThatThrownBy(() -> body("{\"temperature\": \"hot\"}").number("temperature", 1, 0, 2))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.param()).isEqualTo("temperature");
                    assertThat(e.getMessage()).isEqualTo("'temperature' must be a number, got string \"hot\".");
                });
        assertThatThrownBy(() -> body("{\"max_tokens\": 1.5}").integer("max_tokens", 1, 100))
                .isInstanceOf(ApiException.class).hasMessageContaining("an integer");
        assertThatThrownBy(() -> body("{\"stream\": 1}").bool("stream", false))
                .isInstanceOf(ApiException.class).hasMessageContaining("a boolean");
    }

    @Test
    void outOfRangeValuesAreRejectedAndNullMeansDefault() {
        assertThatThrownBy(() -> body("{\"temperature\": 3}").number("temperature", 1, 0, 2))
                .isInstanceOf(ApiException.class).hasMessageContaining("between 0.0 and 2.0");
        assertThat(body("{\"temperature\": null}").number("temperature", 1, 0, 2)).isEqualTo(1);
        assertThat(body("{}").integer("max_tokens", 1, 10)).isNull();
    }

    @Test
    void stopIsAStringOrAnArrayOfUpToFourStrings() {
        assertThat(body("{\"stop\": \"\\n\"}").stop()).containsExactly("\n");
        assertThat(body("{\"stop\": [\"a\", \"b\"]}").stop()).containsExactly("a", "b");
        assertThat(body("{}").stop()).isEmpty();
        assertThatThrownBy(() -> body("{\"stop\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}").stop())
                .isInstanceOf(ApiException.class).hasMessageContaining("at most 4");
        assertThatThrownBy(() -> body("{\"stop\": [1]}").stop()).isInstanceOf(ApiException.class);
    }

    @Test
    void aPromptThatFillsTheContextIsA400WithBothCounts() {
        assertThatThrownBy(() -> PromptLimits.completionBudget(512, 10, 512, "prompt"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo("context_length_exceeded");
                    assertThat(e.getMessage()).contains("maximum context length is 512 tokens")
                            .contains("prompt has 512 tokens");
                });
        assertThat(PromptLimits.completionBudget(500, 100, 512, "prompt")).isEqualTo(12);
        assertThat(PromptLimits.completionBudget(500, null, 512, "prompt")).isEqualTo(12);
        assertThat(PromptLimits.completionBudget(10, 5, 512, "prompt")).isEqualTo(5);
    }
}
