package io.llama2j.chat;

import java.util.Locale;

/**
 * Chat templates stored in model files (GGUF {@code tokenizer.chat_template}) for other runtimes:
 * llama.cpp and Hugging Face tokenizers render them with Jinja. llama2j itself formats chats with
 * {@link ChatFormat}; the template written here produces the same text for the same dialog.
 */
public final class ChatTemplates {
    private ChatTemplates() {}

    /** The name of {@link #LLAMA2} on the command line ({@code llama2j export --chat-template llama2}). */
    public static final String LLAMA2_NAME = "llama2";

    /**
     * Meta's Llama 2 chat format as a Jinja template, the one Hugging Face's Llama-2-*-chat-hf
     * tokenizer_config.json carries: an optional system message folded into the first user
     * message inside {@code <<SYS>>}, "[INST] {user} [/INST]" after BOS, " {answer} " before EOS.
     */
    public static final String LLAMA2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
            + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
            + "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if loop.index0 == 0 and system_message != false %}"
            + "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
            + "{% else %}{% set content = message['content'] %}{% endif %}"
            + "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    /** The template called {@code name} on the command line; only {@value #LLAMA2_NAME} exists. */
    public static String named(String name) {
        if (LLAMA2_NAME.equals(name.toLowerCase(Locale.ROOT))) return LLAMA2;
        throw new IllegalArgumentException("unknown chat template '" + name + "': expected " + LLAMA2_NAME
                + " (Meta's Llama 2 chat format, the one llama2j chat uses)");
    }
}
