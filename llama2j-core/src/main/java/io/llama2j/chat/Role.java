package io.llama2j.chat;

import java.util.Locale;

/** Who wrote a chat message. The wire names are Meta's and OpenAI's: "system", "user", "assistant". */
public enum Role {
    SYSTEM, USER, ASSISTANT;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role called {@code name} ("system", "user" or "assistant"). */
    public static Role fromWireName(String name) {
        for (Role r : values()) {
            if (r.wireName().equals(name)) return r;
        }
        throw new IllegalArgumentException("unknown chat role \"" + name + "\", expected system, user or assistant");
    }
}
