package io.llama2j.eval;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class AnswerExtractionTest {

    @Test
    void theReferenceValueIsWhatFollowsTheLastAnswerMark() {
        assertThat(AnswerExtraction.referenceValue("She has 3 + 4 = 7 apples.\n#### 7")).isEqualTo("7");
        assertThat(AnswerExtraction.referenceValue(" 12 ")).isEqualTo("12");
    }

    @Test
    void strictMatchReadsTheNumberAfterTheAnswerMark() {
        assertThat(AnswerExtraction.strict("so 5 + 2 = 7\n#### 7\n\nQuestion")).contains("7");
        assertThat(AnswerExtraction.strict("the answer is 7")).isEmpty();
    }

    @Test
    void flexibleExtractTakesTheLastNumber() {
        assertThat(AnswerExtraction.lastNumber("3 apples and 4 pears make 7 fruits")).contains("7");
        assertThat(AnswerExtraction.lastNumber("it costs $1,200.")).contains("$1,200.");
        assertThat(AnswerExtraction.lastNumber("no digits")).isEmpty();
    }

    @Test
    void exactMatchIgnoresThousandsSeparatorsDollarSignsAndAFinalPeriod() {
        assertThat(AnswerExtraction.exactMatch(Optional.of("$1,200."), "1200")).isTrue();
        assertThat(AnswerExtraction.exactMatch(Optional.of("-5"), "-5")).isTrue();
        assertThat(AnswerExtraction.exactMatch(Optional.of("12"), "1200")).isFalse();
        assertThat(AnswerExtraction.exactMatch(Optional.empty(), "1")).isFalse();
    }
}
