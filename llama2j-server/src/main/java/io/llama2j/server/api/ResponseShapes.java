package io.llama2j.server.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llama2j.server.schedule.FinishReason;

/**
 * The JSON bodies of one chat.completion / text_completion response, whole or as stream chunks
 * (OpenAI API reference: "The chat completion object", "The chat completion chunk object",
 * "The completion object").
 */
record ResponseShapes(ObjectMapper json, String id, long created, String model, boolean chat) {

    ObjectNode complete(String text, GenerationEvents.Finished finished) {
        ObjectNode out = header(chat ? "chat.completion" : "text_completion");
        ObjectNode choice = out.putArray("choices").addObject().put("index", 0);
        if (chat) {
            choice.putObject("message").put("role", "assistant").put("content", text).putNull("refusal");
        } else {
            choice.put("text", text);
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", finished.reason().openAiName());
        out.set("usage", usage(finished));
        return out;
    }

    /** The first chat chunk announces the role, as OpenAI's does. */
    ObjectNode firstChunk() {
        ObjectNode out = header("chat.completion.chunk");
        ObjectNode choice = out.putArray("choices").addObject().put("index", 0);
        choice.putObject("delta").put("role", "assistant").put("content", "");
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return out;
    }

    ObjectNode textChunk(String text) {
        ObjectNode out = header(chat ? "chat.completion.chunk" : "text_completion");
        ObjectNode choice = out.putArray("choices").addObject().put("index", 0);
        if (chat) choice.putObject("delta").put("content", text);
        else choice.put("text", text);
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return out;
    }

    ObjectNode finishChunk(FinishReason reason) {
        ObjectNode out = header(chat ? "chat.completion.chunk" : "text_completion");
        ObjectNode choice = out.putArray("choices").addObject().put("index", 0);
        if (chat) choice.putObject("delta");
        else choice.put("text", "");
        choice.putNull("logprobs");
        choice.put("finish_reason", reason.openAiName());
        return out;
    }

    /** stream_options.include_usage: a last chunk with no choices and the usage. */
    ObjectNode usageChunk(GenerationEvents.Finished finished) {
        ObjectNode out = header(chat ? "chat.completion.chunk" : "text_completion");
        out.putArray("choices");
        out.set("usage", usage(finished));
        return out;
    }

    private ObjectNode header(String object) {
        return json.createObjectNode().put("id", id).put("object", object).put("created", created).put("model", model);
    }

    private ObjectNode usage(GenerationEvents.Finished finished) {
        return json.createObjectNode()
                .put("prompt_tokens", finished.promptTokens())
                .put("completion_tokens", finished.completionTokens())
                .put("total_tokens", finished.promptTokens() + finished.completionTokens());
    }
}
