package io.llama2j.server;

import io.llama2j.TestData;
import io.llama2j.llama2c.Llama2cCheckpoint;
import io.llama2j.model.Llama;
import io.llama2j.server.engine.EngineModel;
import io.llama2j.server.engine.ServedModel;
import io.llama2j.tokenizer.Tokenizer;

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
                Llama2cCheckpoint checkpoint = Llama2cCheckpoint.load(TestData.file("stories260K.bin"));
                Tokenizer tokenizer = Tokenizer.load(TestData.file("tok512.bin"));
                Llama llama = new Llama(checkpoint.config(), checkpoint.weights());
                stories = new EngineModel("stories260K", llama, tokenizer, dialog -> { throw new IllegalArgumentException("chat format not merged yet"); },
                        checkpoint.config().contextLength(), tokenizer.eosId(), tokenizer.bosId());
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
