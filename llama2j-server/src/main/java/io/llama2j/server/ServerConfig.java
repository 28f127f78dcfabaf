package io.llama2j.server;

import io.llama2j.server.schedule.Scheduler;

import java.time.Duration;

/**
 * How `llama2j serve` listens and schedules.
 *
 * @param host          interface to bind; default 127.0.0.1 (loopback only)
 * @param port          TCP port; 0 picks a free one (tests)
 * @param parallel      slots generating at once, each with its own KV cache; default 4
 * @param queue         requests that may wait for a slot before 429; default 64
 * @param apiKey        when set, every /v1 request needs "Authorization: Bearer KEY"
 * @param drainTimeout  on shutdown, how long running streams may go on before they end with
 *                      an error event; default 30 s
 * @param prefillChunk  prompt tokens a slot feeds per scheduler round
 * @param maxBodyBytes  largest request body accepted; default 16 MiB
 */
public record ServerConfig(String host, int port, int parallel, int queue, String apiKey,
                           Duration drainTimeout, int prefillChunk, long maxBodyBytes) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_PARALLEL = 4;
    public static final int DEFAULT_QUEUE = 64;
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);
    public static final long DEFAULT_MAX_BODY_BYTES = 16L << 20;

    public ServerConfig {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in 0..65535, was " + port);
        if (apiKey != null && apiKey.isBlank()) throw new IllegalArgumentException("--api-key must not be blank");
        new Scheduler.Config(parallel, queue, prefillChunk); // validates the scheduling fields
    }

    public static ServerConfig defaults() {
        return new ServerConfig(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_PARALLEL, DEFAULT_QUEUE, null,
                DEFAULT_DRAIN_TIMEOUT, Scheduler.Config.DEFAULT_PREFILL_CHUNK, DEFAULT_MAX_BODY_BYTES);
    }

    public ServerConfig withPort(int newPort) {
        return new ServerConfig(host, newPort, parallel, queue, apiKey, drainTimeout, prefillChunk, maxBodyBytes);
    }

    public ServerConfig withParallel(int slots) {
        return new ServerConfig(host, port, slots, queue, apiKey, drainTimeout, prefillChunk, maxBodyBytes);
    }

    public ServerConfig withQueue(int capacity) {
        return new ServerConfig(host, port, parallel, capacity, apiKey, drainTimeout, prefillChunk, maxBodyBytes);
    }

    public ServerConfig withApiKey(String key) {
        return new ServerConfig(host, port, parallel, queue, key, drainTimeout, prefillChunk, maxBodyBytes);
    }

    public ServerConfig withDrainTimeout(Duration drain) {
        return new ServerConfig(host, port, parallel, queue, apiKey, drain, prefillChunk, maxBodyBytes);
    }

    public Scheduler.Config schedulerConfig() {
        return new Scheduler.Config(parallel, queue, prefillChunk);
    }
}
