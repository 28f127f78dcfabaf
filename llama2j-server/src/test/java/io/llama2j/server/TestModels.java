package io.llama2j.server;

import io.llama2j.TestData;
import io.llama2j.server.engine.EngineModel;
import io.llama2j.server.engine.ServedModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;

/** The real small model the server tests run on: stories260K.bin with tok512.bin (shared test data). */
final class TestModels {

    static final String API_KEY = "test-key-123";

    private static EngineModel stories;

    private TestModels() {
    }

    static synchronized ServedModel stories260K() {
        if (stories == null) {
            try {
                stories = EngineModel.load(TestData.file("stories260K.bin"), TestData.file("tok512.bin"), null, null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return stories;
    }

    /** Loopback, a free port, short drain: what every test server starts from. */
    static ServerConfig config() {
        return ServerConfig.defaults().withPort(0).withDrainTimeout(Duration.ofSeconds(5));
    }
}
