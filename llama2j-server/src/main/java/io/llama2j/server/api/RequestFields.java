package io.llama2j.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;

/**
 * Typed, validated reads of an OpenAI request body. Every wrong type or range becomes a 400
 * naming the field, what was expected and what was found; absent and null fields take the
 * default, as OpenAI treats them.
 */
final class RequestFields {

    /** OpenAI accepts at most this many stop strings. */
    static final int MAX_STOP_STRINGS = 4;

    private final JsonNode body;

    private RequestFields(JsonNode body) {
        this.body = body;
    }

    static RequestFields parse(ObjectMapper json, String text) {
        JsonNode body;
        try {
            body = text == null || text.isBlank() ? null : json.readTree(text);
        } catch (JsonProcessingException e) {
            throw ApiException.invalid(null, "invalid_json",
                    "We could not parse the JSON body of your request: " + e.getOriginalMessage()
                            + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        }
        if (body == null || !body.isObject()) {
            throw ApiException.invalid(null, "invalid_json", "The request body must be a JSON object, got "
                    + (body == null ? "nothing" : describe(body)) + ".");
        }
        return new RequestFields(body);
    }

    JsonNode node(String name) {
        JsonNode value = body.get(name);
        return value == null || value.isNull() ? null : value;
    }

    boolean has(String name) {
        return node(name) != null;
    }

    double number(String name, double defaultValue, double min, double max) {
        JsonNode value = node(name);
        if (value == null) return defaultValue;
        if (!value.isNumber()) throw wrongType(name, "a number", value);
        double v = value.asDouble();
        if (!(v >= min && v <= max)) {
            throw ApiException.invalid(name, "invalid_value",
                    "'" + name + "' must be between " + min + " and " + max + ", got " + value + ".");
        }
        return v;
    }

    Integer integer(String name, long min, long max) {
        JsonNode value = node(name);
        if (value == null) return null;
        if (!value.isIntegralNumber() || !value.canConvertToLong()) throw wrongType(name, "an integer", value);
        long v = value.asLong();
        if (v < min || v > max) {
            throw ApiException.invalid(name, "invalid_value",
                    "'" + name + "' must be between " + min + " and " + max + ", got " + v + ".");
        }
        return (int) v;
    }

    Long longValue(String name) {
        JsonNode value = node(name);
        if (value == null) return null;
        if (!value.isIntegralNumber() || !value.canConvertToLong()) throw wrongType(name, "an integer", value);
        return value.asLong();
    }

    boolean bool(String name, boolean defaultValue) {
        JsonNode value = node(name);
        if (value == null) return defaultValue;
        if (!value.isBoolean()) throw wrongType(name, "a boolean", value);
        return value.asBoolean();
    }

    String string(String name) {
        JsonNode value = node(name);
        if (value == null) return null;
        if (!value.isTextual()) throw wrongType(name, "a string", value);
        return value.asText();
    }

    /** "stop": a string or an array of up to 4 non-empty strings. */
    List<String> stop() {
        JsonNode value = node("stop");
        if (value == null) return List.of();
        List<String> stops = new ArrayList<>();
        if (value.isTextual()) {
            stops.add(value.asText());
        } else if (value.isArray()) {
            for (JsonNode item : value) {
                if (!item.isTextual()) throw wrongType("stop", "a string or an array of strings", value);
                stops.add(item.asText());
            }
        } else {
            throw wrongType("stop", "a string or an array of strings", value);
        }
        if (stops.size() > MAX_STOP_STRINGS) {
            throw ApiException.invalid("stop", "invalid_value",
                    "'stop' may hold at most " + MAX_STOP_STRINGS + " strings, got " + stops.size() + ".");
        }
        if (stops.stream().anyMatch(String::isEmpty)) {
            throw ApiException.invalid("stop", "invalid_value", "'stop' strings must not be empty.");
        }
        return stops;
    }

    static ApiException wrongType(String name, String expected, JsonNode found) {
        return ApiException.invalid(name, "invalid_type",
                "'" + name + "' must be " + expected + ", got " + describe(found) + ".");
    }

    static String describe(JsonNode node) {
        String text = node.toString();
        String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " " + shown;
    }
}
