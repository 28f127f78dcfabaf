package io.llama2j.server.engine;

/** One message of a chat request: role as OpenAI spells it ("system", "user", "assistant"). */
public record ChatTurn(String role, String content) {
}
