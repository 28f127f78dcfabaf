package io.llama2j.server.engine;

import io.llama2j.TestData;
import io.llama2j.tensor.ActivationPrecision;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link EngineModel#load}: the served model's activations are 8-bit unless `serve --activations` asks otherwise. */
class EngineModelLoadTest {

    @Test
    void theActivationPrecisionAskedForIsTheModels() throws Exception {
        try (EngineModel byDefault = EngineModel.load(TestData.file("stories260K.bin"), TestData.file("tok512.bin"), 64, null);
             EngineModel exact = EngineModel.load(TestData.file("stories260K.bin"), TestData.file("tok512.bin"), 64, null, null,
                     ActivationPrecision.FLOAT32)) {
            assertThat(byDefault.llama().activationPrecision()).isEqualTo(ActivationPrecision.QUANTIZED_8BIT);
            assertThat(exact.llama().activationPrecision()).isEqualTo(ActivationPrecision.FLOAT32);
        }
    }
}
