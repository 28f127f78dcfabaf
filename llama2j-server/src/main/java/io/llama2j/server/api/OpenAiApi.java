package io.llama2j.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.llama2j.server.engine.ChatTurn;
import io.llama2j.server.engine.SamplingSettings;
import io.llama2j.server.engine.ServedModel;
import io.llama2j.server.schedule.GenerationRequest;
import io.llama2j.server.schedule.Job;
import io.llama2j.server.schedule.QueueFullException;
import io.llama2j.server.schedule.Scheduler;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The OpenAI-compatible endpoints (https://platform.openai.com/docs/api-reference): request
 * validation, the scheduler call, and the response shapes, streamed as server-sent events
 * (`data: {chunk}` lines ending with `data: [DONE]`) when "stream" is true.
 */
public final class OpenAiApi {

    private static final String OWNER = "llama2j";
    /** Request attribute holding "prompt+completion tokens, finish reason" for the request log line. */
    public static final String USAGE_ATTRIBUTE = "llama2j.usage";
    /** How long a stream may stay silent before an SSE comment line is sent. */
    static final long HEARTBEAT_MILLIS = 2000;
    /**
     * How often a non-streamed request that waits for its result checks that its client is
     * still connected: a client that left frees its slot within this delay and one step.
     */
    static final long CONNECTION_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** OpenAI's default max_tokens for /v1/completions. */
    static final int DEFAULT_COMPLETION_TOKENS = 16;
    /** OpenAI's limit on the number of inputs of one embeddings request. */
    static final int MAX_EMBEDDING_INPUTS = 2048;

    private final ServedModel model;
    private final Scheduler scheduler;
    private final ObjectMapper json;
    private final long createdAt = System.currentTimeMillis() / 1000;
    /** Embeddings run on the request's thread with a state of their own: at most one per slot at a time. */
    private final Semaphore embeddingPermits;
    /** Generation requests whose HTTP thread is still answering (shutdown waits for them). */
    private final java.util.concurrent.atomic.AtomicInteger answering = new java.util.concurrent.atomic.AtomicInteger();

    public OpenAiApi(ServedModel model, Scheduler scheduler, ObjectMapper json) {
        this.model = model;
        this.scheduler = scheduler;
        this.json = json;
        this.embeddingPermits = new Semaphore(scheduler.slotCount(), true);
    }

    // ---- GET /v1/models -------------------------------------------------------------------

    public void listModels(Context ctx) {
        ObjectNode out = json.createObjectNode().put("object", "list");
        out.putArray("data").add(modelObject());
        respond(ctx, 200, out);
    }

    public void getModel(Context ctx) {
        String id = ctx.pathParam("model");
        if (!id.equals(model.id())) throw unknownModel(id);
        respond(ctx, 200, modelObject());
    }

    private ObjectNode modelObject() {
        return json.createObjectNode().put("id", model.id()).put("object", "model")
                .put("created", createdAt).put("owned_by", OWNER);
    }

    // ---- POST /v1/chat/completions ----------------------------------------------------------

    public void chatCompletions(Context ctx) throws IOException, InterruptedException {
        RequestFields fields = RequestFields.parse(json, ctx.body());
        checkModel(fields);
        checkSingleChoice(fields);
        List<ChatTurn> dialog = messages(fields);
        Integer maxTokens = fields.has("max_completion_tokens")
                ? fields.integer("max_completion_tokens", 1, Integer.MAX_VALUE)
                : fields.integer("max_tokens", 1, Integer.MAX_VALUE);
        SamplingSettings sampling = sampling(fields);
        List<String> stop = fields.stop();
        int[] prompt;
        try {
            prompt = model.encodeChat(dialog);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("messages", "invalid_messages", e.getMessage());
        }
        int budget = PromptLimits.completionBudget(prompt.length, maxTokens, model.contextLength(), "messages");
        GenerationRequest request = new GenerationRequest(prompt, budget, sampling, stop);
        run(ctx, fields, request, true);
    }

    // ---- POST /v1/completions ---------------------------------------------------------------

    public void completions(Context ctx) throws IOException, InterruptedException {
        RequestFields fields = RequestFields.parse(json, ctx.body());
        checkModel(fields);
        checkSingleChoice(fields);
        if (fields.has("echo") && fields.bool("echo", false)) {
            throw ApiException.invalid("echo", "unsupported_value", "'echo' is not supported by this server.");
        }
        if (fields.has("logprobs")) {
            throw ApiException.invalid("logprobs", "unsupported_value", "'logprobs' is not supported by this server.");
        }
        Integer maxTokens = fields.integer("max_tokens", 1, Integer.MAX_VALUE);
        SamplingSettings sampling = sampling(fields);
        List<String> stop = fields.stop();
        int[] prompt = completionPrompt(fields);
        // OpenAI's legacy completions default to 16 tokens.
        int budget = PromptLimits.completionBudget(prompt.length, maxTokens == null ? DEFAULT_COMPLETION_TOKENS : maxTokens,
                model.contextLength(), "prompt");
        GenerationRequest request = new GenerationRequest(prompt, budget, sampling, stop);
        run(ctx, fields, request, false);
    }


    private int[] completionPrompt(RequestFields fields) {
        JsonNode prompt = fields.node("prompt");
        if (prompt == null) {
            throw ApiException.invalid("prompt", "missing_required_parameter", "'prompt' is required.");
        }
        if (prompt.isTextual()) {
            return model.tokenize(prompt.asText(), true);
        }
        if (prompt.isArray() && prompt.size() == 1 && (prompt.get(0).isTextual() || prompt.get(0).isArray())) {
            JsonNode only = prompt.get(0);
            return only.isTextual() ? model.tokenize(only.asText(), true) : tokenArray("prompt", only);
        }
        if (prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isIntegralNumber()) {
            return tokenArray("prompt", prompt);
        }
        if (prompt.isArray() && prompt.size() > 1) {
            throw ApiException.invalid("prompt", "unsupported_value",
                    "Only one prompt per request is supported (n=1); got " + prompt.size() + " prompts.");
        }
        throw RequestFields.wrongType("prompt", "a string or an array of token ids", prompt);
    }

    private int[] tokenArray(String param, JsonNode array) {
        if (array.isEmpty()) {
            throw ApiException.invalid(param, "invalid_value", "'" + param + "' must not be an empty token array.");
        }
        int[] tokens = new int[array.size()];
        for (int i = 0; i < tokens.length; i++) {
            JsonNode item = array.get(i);
            if (!item.isIntegralNumber() || !item.canConvertToInt() || !model.isValidToken(item.asInt())) {
                throw ApiException.invalid(param, "invalid_value", "'" + param + "'[" + i
                        + "] must be a token id of this model's vocabulary, got " + item + ".");
            }
            tokens[i] = item.asInt();
        }
        return tokens;
    }

    // ---- POST /v1/embeddings ----------------------------------------------------------------

    public void embeddings(Context ctx) throws InterruptedException {
        RequestFields fields = RequestFields.parse(json, ctx.body());
        checkModel(fields);
        String format = fields.string("encoding_format");
        if (format != null && !format.equals("float") && !format.equals("base64")) {
            throw ApiException.invalid("encoding_format", "invalid_value",
                    "'encoding_format' must be \"float\" or \"base64\", got \"" + format + "\".");
        }
        if (fields.has("dimensions")) {
            throw ApiException.invalid("dimensions", "unsupported_value", "'dimensions' is not supported by this model.");
        }
        List<int[]> inputs = embeddingInputs(fields);
        ObjectNode out = json.createObjectNode().put("object", "list");
        ArrayNode data = out.putArray("data");
        long tokens = 0;
        if (inputs.size() > MAX_EMBEDDING_INPUTS) {
            throw ApiException.invalid("input", "invalid_value", "'input' may hold at most " + MAX_EMBEDDING_INPUTS
                    + " items, got " + inputs.size() + ".");
        }
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i).length > model.contextLength()) {
                throw ApiException.invalid("input", "context_length_exceeded", "This model's maximum context length is "
                        + model.contextLength() + " tokens, however input " + i + " has " + inputs.get(i).length + " tokens.");
            }
        }
        for (int i = 0; i < inputs.size(); i++) {
            int[] ids = inputs.get(i);
            tokens += ids.length;
            float[] vector;
            embeddingPermits.acquire();
            try {
                vector = model.embed(ids);
            } finally {
                embeddingPermits.release();
            }
            ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
            if ("base64".equals(format)) {
                // OpenAI's base64 form: the float32 values, little-endian, base64-encoded.
                ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : vector) bytes.putFloat(v);
                item.put("embedding", Base64.getEncoder().encodeToString(bytes.array()));
            } else {
                ArrayNode values = item.putArray("embedding");
                for (float v : vector) values.add(v);
            }
        }
        out.put("model", model.id());
        out.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        respond(ctx, 200, out);
    }

    private List<int[]> embeddingInputs(RequestFields fields) {
        JsonNode input = fields.node("input");
        if (input == null) {
            throw ApiException.invalid("input", "missing_required_parameter", "'input' is required.");
        }
        List<int[]> inputs = new ArrayList<>();
        if (input.isTextual()) {
            inputs.add(model.tokenize(input.asText(), true));
        } else if (input.isArray() && !input.isEmpty() && input.get(0).isIntegralNumber()) {
            inputs.add(tokenArray("input", input));
        } else if (input.isArray() && !input.isEmpty()) {
            for (JsonNode item : input) {
                if (item.isTextual()) inputs.add(model.tokenize(item.asText(), true));
                else if (item.isArray()) inputs.add(tokenArray("input", item));
                else throw RequestFields.wrongType("input", "strings or token arrays", item);
            }
        } else {
            throw RequestFields.wrongType("input", "a string, an array of strings or token ids", input);
        }
        return inputs;
    }

    // ---- shared request pieces --------------------------------------------------------------

    private void checkModel(RequestFields fields) {
        String requested = fields.string("model");
        if (requested != null && !requested.equals(model.id())) throw unknownModel(requested);
    }

    private ApiException unknownModel(String requested) {
        return new ApiException(404, "invalid_request_error", "model", "model_not_found",
                "The model `" + requested + "` does not exist. This server serves `" + model.id() + "`.");
    }

    private static void checkSingleChoice(RequestFields fields) {
        Integer n = fields.integer("n", Integer.MIN_VALUE, Integer.MAX_VALUE);
        if (n != null && n != 1) {
            throw ApiException.invalid("n", "unsupported_value",
                    "Only n=1 is supported (one choice per request); got n=" + n + ".");
        }
    }

    private static SamplingSettings sampling(RequestFields fields) {
        return new SamplingSettings(
                fields.number("temperature", SamplingSettings.DEFAULT_TEMPERATURE, 0, SamplingSettings.MAX_TEMPERATURE),
                fields.number("top_p", SamplingSettings.DEFAULT_TOP_P, Double.MIN_VALUE, 1),
                fields.longValue("seed"),
                fields.number("presence_penalty", 0, -SamplingSettings.MAX_ABS_PENALTY, SamplingSettings.MAX_ABS_PENALTY),
                fields.number("frequency_penalty", 0, -SamplingSettings.MAX_ABS_PENALTY, SamplingSettings.MAX_ABS_PENALTY));
    }

    private static List<ChatTurn> messages(RequestFields fields) {
        JsonNode messages = fields.node("messages");
        if (messages == null) {
            throw ApiException.invalid("messages", "missing_required_parameter", "'messages' is required.");
        }
        if (!messages.isArray()) throw RequestFields.wrongType("messages", "an array", messages);
        if (messages.isEmpty()) {
            throw ApiException.invalid("messages", "empty_array", "'messages' must hold at least one message.");
        }
        List<ChatTurn> turns = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            String where = "messages[" + i + "]";
            if (!message.isObject()) throw RequestFields.wrongType(where, "an object", message);
            JsonNode role = message.get("role");
            if (role == null || !role.isTextual()) {
                throw ApiException.invalid(where + ".role", "invalid_type", "'" + where + ".role' must be a string.");
            }
            String r = role.asText();
            if (!r.equals("system") && !r.equals("user") && !r.equals("assistant")) {
                throw ApiException.invalid(where + ".role", "invalid_value", "'" + where
                        + ".role' must be \"system\", \"user\" or \"assistant\", got \"" + r + "\".");
            }
            turns.add(new ChatTurn(r, content(where, message.get("content"))));
        }
        return turns;
    }

    /** Message content: a string, or an array of {"type":"text","text":...} parts (joined). */
    private static String content(String where, JsonNode content) {
        if (content != null && content.isTextual()) return content.asText();
        if (content != null && content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiException.invalid(where + ".content", "invalid_value",
                            "'" + where + ".content' parts must be {\"type\":\"text\",\"text\":string}; this model reads text only.");
                }
                text.append(part.get("text").asText());
            }
            return text.toString();
        }
        throw RequestFields.wrongType(where + ".content", "a string", content == null ? NullNode.getInstance() : content);
    }

    // ---- running a request ------------------------------------------------------------------

    private void run(Context ctx, RequestFields fields, GenerationRequest request, boolean chat)
            throws IOException, InterruptedException {
        boolean stream = fields.bool("stream", false);
        boolean includeUsage = stream && fields.node("stream_options") != null
                && fields.node("stream_options").path("include_usage").asBoolean(false);
        GenerationEvents events = new GenerationEvents();
        Job job;
        try {
            job = scheduler.submit(request, events);
        } catch (QueueFullException e) {
            throw new ApiException(429, "rate_limit_error", null, "queue_full", e.getMessage());
        } catch (IllegalStateException e) {
            throw new ApiException(503, "server_error", null, "shutting_down", e.getMessage());
        }
        String id = (chat ? "chatcmpl-" : "cmpl-") + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        long created = System.currentTimeMillis() / 1000;
        ResponseShapes shapes = new ResponseShapes(json, id, created, model.id(), chat);
        answering.incrementAndGet();
        try {
            if (stream) {
                stream(ctx, job, events, shapes, includeUsage);
            } else {
                collect(ctx, job, events, shapes);
            }
        } finally {
            answering.decrementAndGet();
        }
    }

    /**
     * Waits until every generation request has written its last byte (after the scheduler has
     * ended them), so that stopping the HTTP server does not cut a final event; bounded.
     */
    public void awaitAnswered(java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (answering.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    private void collect(Context ctx, Job job, GenerationEvents events, ResponseShapes shapes) throws InterruptedException {
        StringBuilder text = new StringBuilder();
        ClientConnection client = ClientConnection.of(ctx);
        try {
            long nextCheck = System.nanoTime() + CONNECTION_CHECK_NANOS;
            while (true) {
                long untilCheck = Math.max(0, nextCheck - System.nanoTime());
                GenerationEvents.Event event = events.next(TimeUnit.NANOSECONDS.toMillis(untilCheck));
                if (System.nanoTime() >= nextCheck) {
                    if (client.closed()) {
                        // Nobody will read the answer: free the slot (or the queue place) now.
                        job.cancel();
                        return;
                    }
                    nextCheck = System.nanoTime() + CONNECTION_CHECK_NANOS;
                }
                if (event == null) continue;
                switch (event) {
                    case GenerationEvents.Text t -> text.append(t.text());
                    case GenerationEvents.Finished f -> {
                        noteUsage(ctx, f);
                        respond(ctx, 200, shapes.complete(text.toString(), f));
                        return;
                    }
                    case GenerationEvents.Failed failed ->
                            throw new ApiException(500, "server_error", null, "generation_failed", failed.message());
                }
            }
        } catch (InterruptedException e) {
            job.cancel();
            throw e;
        }
    }

    private void stream(Context ctx, Job job, GenerationEvents events, ResponseShapes shapes, boolean includeUsage)
            throws InterruptedException {
        ctx.status(200);
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.res().setHeader("Cache-Control", "no-cache");
        ctx.res().setHeader("X-Accel-Buffering", "no");
        try {
            OutputStream out = ctx.res().getOutputStream();
            if (shapes.chat()) send(out, shapes.firstChunk());
            while (true) {
                GenerationEvents.Event event = events.next(HEARTBEAT_MILLIS);
                if (event == null) {
                    // An SSE comment while queued or prefilling: clients ignore it, and a client
                    // that has gone away is noticed here, freeing its place.
                    out.write(": waiting\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    continue;
                }
                switch (event) {
                    case GenerationEvents.Text t -> send(out, shapes.textChunk(t.text()));
                    case GenerationEvents.Finished f -> {
                        noteUsage(ctx, f);
                        send(out, shapes.finishChunk(f.reason()));
                        if (includeUsage) send(out, shapes.usageChunk(f));
                        sendRaw(out, "[DONE]");
                        out.close(); // completes the chunked response now, before shutdown may stop Jetty
                        return;
                    }
                    case GenerationEvents.Failed failed -> {
                        send(out, errorBody(json, "server_error", null, "generation_failed", failed.message()));
                        sendRaw(out, "[DONE]");
                        out.close();
                        return;
                    }
                }
            }
        } catch (IOException clientGone) {
            // The client disconnected: free its slot at the scheduler's next step.
            job.cancel();
        } catch (InterruptedException e) {
            job.cancel();
            throw e;
        }
    }

    private static void noteUsage(Context ctx, GenerationEvents.Finished f) {
        ctx.attribute(USAGE_ATTRIBUTE, f.promptTokens() + "+" + f.completionTokens() + " tokens, " + f.reason().openAiName());
    }

    private void send(OutputStream out, JsonNode chunk) throws IOException {
        sendRaw(out, json.writeValueAsString(chunk));
    }

    private static void sendRaw(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private void respond(Context ctx, int status, JsonNode body) {
        try {
            ctx.status(status).contentType("application/json").result(json.writeValueAsString(body));
        } catch (IOException e) {
            throw new IllegalStateException("could not serialize a response", e);
        }
    }

    /** OpenAI's error body. */
    public static ObjectNode errorBody(ObjectMapper json, String type, String param, String code, String message) {
        ObjectNode body = json.createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("message", message).put("type", type);
        if (param == null) error.putNull("param"); else error.put("param", param);
        if (code == null) error.putNull("code"); else error.put("code", code);
        return body;
    }
}
