package io.llama2j.chat;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChatTemplatesTest {
    @Test
    void llama2NamesMetasTemplateInAnyCase() {
        assertThat(ChatTemplates.named("llama2")).isSameAs(ChatTemplates.LLAMA2);
        assertThat(ChatTemplates.named("LLaMA2")).isSameAs(ChatTemplates.LLAMA2);
    }

    @Test
    void theTemplateUsesChatFormatsMarkers() {
        // Jinja string literals spell the newlines of <<SYS>>\n as \\n
        assertThat(ChatTemplates.LLAMA2)
                .contains("'" + ChatFormat.B_INST + " '", "' " + ChatFormat.E_INST + "'")
                .contains(ChatFormat.B_SYS.replace("\n", "\\n"), ChatFormat.E_SYS.replace("\n", "\\n"))
                .contains("bos_token", "eos_token", "content.strip()");
    }

    @Test
    void anUnknownTemplateNameIsRefusedNamingTheKnownOne() {
        assertThatThrownBy(() -> ChatTemplates.named("chatml"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'chatml'").hasMessageContaining("llama2");
    }
}
