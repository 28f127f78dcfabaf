package io.llama2j.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.http.staticfiles.Location;
import io.llama2j.server.api.ApiException;
import io.llama2j.server.api.OpenAiApi;
import io.llama2j.server.engine.ServedModel;
import io.llama2j.server.metrics.ServerMetrics;
import io.llama2j.server.schedule.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;

/**
 * `llama2j serve`: the HTTP server (Javalin on Jetty) in front of the scheduler. Routes:
 * the OpenAI endpoints under /v1, /health, /metrics, and the chat page at /. Every error is
 * answered in OpenAI's error shape; the server keeps serving after each.
 */
public final class LlamaServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("llama2j.server");
    /** How long a connection may be silent (a long non-streamed generation) before Jetty drops it. */
    static final long CONNECTION_IDLE_TIMEOUT_MILLIS = 15 * 60 * 1000L;
    /** On shutdown, how long the HTTP threads get to write their last event after generation ended. */
    static final java.time.Duration FINAL_WRITE_TIMEOUT = java.time.Duration.ofSeconds(5);

    private final ServerConfig config;
    private final ServedModel model;
    private final ServerMetrics metrics = new ServerMetrics();
    private final ObjectMapper json = new ObjectMapper();
    private final Scheduler scheduler;
    private final Javalin app;
    private final OpenAiApi api;
    private volatile boolean stopping;

    private LlamaServer(ServedModel model, ServerConfig config) {
        this.config = config;
        this.model = model;
        this.scheduler = new Scheduler(model, config.schedulerConfig(), metrics);
        this.api = new OpenAiApi(model, scheduler, json);
        this.app = Javalin.create(javalin -> {
            javalin.showJavalinBanner = false;
            javalin.useVirtualThreads = true;
            javalin.http.maxRequestSize = config.maxBodyBytes();
            javalin.staticFiles.add(files -> {
                files.hostedPath = "/";
                files.directory = "/public";
                files.location = Location.CLASSPATH;
            });
            javalin.requestLogger.http(this::logRequest);
        });
        app.before("/v1/*", this::authorize);
        app.get("/v1/models", api::listModels);
        app.get("/v1/models/{model}", api::getModel);
        app.post("/v1/chat/completions", api::chatCompletions);
        app.post("/v1/completions", api::completions);
        app.post("/v1/embeddings", api::embeddings);
        app.get("/health", this::health);
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.render()));
        app.exception(ApiException.class, (e, ctx) -> error(ctx, e.status(), e.type(), e.param(), e.code(), e.getMessage()));
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("internal error on {} {}", ctx.method(), ctx.path(), e);
            error(ctx, 500, "server_error", null, "internal_error", "Internal server error: " + e);
        });
    }

    /** Starts serving {@code model}; returns once the port is bound. */
    public static LlamaServer start(ServedModel model, ServerConfig config) {
        LlamaServer server = new LlamaServer(model, config);
        server.app.start(config.host(), config.port());
        // A non-streamed completion on a large model can be silent for minutes: Jetty's default
        // 30 s idle timeout would cut it.
        for (var connector : server.app.jettyServer().server().getConnectors()) {
            if (connector instanceof org.eclipse.jetty.server.AbstractConnector c) c.setIdleTimeout(CONNECTION_IDLE_TIMEOUT_MILLIS);
        }
        LOG.info("serving {} on http://{}:{}/ ({} slots, queue {}, context {}{})", model.id(), config.host(),
                server.port(), config.parallel(), config.queue(), model.contextLength(),
                config.apiKey() == null ? "" : ", API key required");
        return server;
    }

    public int port() {
        return app.port();
    }

    public ServerMetrics metrics() {
        return metrics;
    }

    /**
     * Graceful stop (SIGTERM): /health turns 503, new generations get 503, queued ones an error,
     * running streams may finish for the drain timeout and are then ended with an error event;
     * then the HTTP server stops.
     */
    @Override
    public void close() {
        if (stopping) return;
        stopping = true;
        LOG.info("shutting down: draining {} running request(s) for up to {} s",
                scheduler.busySlots(), config.drainTimeout().toSeconds());
        scheduler.shutdown(config.drainTimeout());
        try {
            api.awaitAnswered(FINAL_WRITE_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        app.stop();
        LOG.info("stopped");
    }

    private void authorize(Context ctx) {
        if (config.apiKey() == null) return;
        String header = ctx.header("Authorization");
        String prefix = "Bearer ";
        if (header == null || !header.regionMatches(true, 0, prefix, 0, prefix.length())) {
            throw new ApiException(401, "invalid_request_error", null, "missing_api_key",
                    "You didn't provide an API key. Send it as \"Authorization: Bearer YOUR_KEY\".");
        }
        byte[] given = header.substring(prefix.length()).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, config.apiKey().getBytes(StandardCharsets.UTF_8))) {
            throw new ApiException(401, "invalid_request_error", null, "invalid_api_key", "Incorrect API key provided.");
        }
    }

    private void health(Context ctx) {
        String status = stopping ? "shutting_down" : "ok";
        ctx.status(stopping ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.OK).json(java.util.Map.of(
                "status", status, "model", model.id(),
                "slots_total", scheduler.slotCount(), "slots_busy", scheduler.busySlots(),
                "queue_depth", scheduler.queueDepth()));
    }

    private void error(Context ctx, int status, String type, String param, String code, String message) {
        try {
            ctx.status(status).contentType("application/json")
                    .result(json.writeValueAsString(OpenAiApi.errorBody(json, type, param, code, message)));
        } catch (java.io.IOException e) {
            ctx.status(500).result("{\"error\":{\"message\":\"internal error\",\"type\":\"server_error\",\"param\":null,\"code\":null}}");
        }
    }

    /** The route's path pattern (bounded label set for metrics), or "unmatched". */
    private static String endpointLabel(Context ctx) {
        try {
            String endpoint = ctx.endpointHandlerPath();
            return endpoint.isEmpty() ? "unmatched" : endpoint;
        } catch (IllegalStateException refusedBeforeTheEndpoint) { // e.g. 401 from the API-key check
            return ctx.path().startsWith("/v1/") ? "/v1 (refused)" : "unmatched";
        }
    }

    private void logRequest(Context ctx, Float millis) {
        metrics.requestCompleted(endpointLabel(ctx), ctx.statusCode());
        Object usage = ctx.attribute(OpenAiApi.USAGE_ATTRIBUTE);
        LOG.info("{} {} {} {} ms {}{}", ctx.method(), ctx.path(), ctx.statusCode(),
                String.format(Locale.ROOT, "%.1f", millis), ctx.ip(), usage == null ? "" : " (" + usage + ")");
    }
}
