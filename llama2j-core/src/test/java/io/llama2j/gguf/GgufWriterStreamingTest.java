package io.llama2j.gguf;

import io.llama2j.tensor.GgmlType;
import io.llama2j.tensor.Quantizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tensors whose bytes are produced while the file is written (GgufWriter.TensorContent). */
class GgufWriterStreamingTest {

    @TempDir
    Path dir;

    @Test
    void streamedTensorGivesTheSameFileAsOneAddedFromMemory() throws IOException {
        float[] values = new float[64 * 3];
        for (int i = 0; i < values.length; i++) values[i] = (float) Math.sin(i);
        byte[] q = Quantizer.quantize(GgmlType.Q8_0, values);
        long[] shape = {64, 3};
        Path fromMemory = dir.resolve("a.gguf"), streamed = dir.resolve("b.gguf");
        new GgufWriter().putString("general.architecture", "llama").addTensor("t", GgmlType.Q8_0, shape, values).write(fromMemory);
        new GgufWriter().putString("general.architecture", "llama")
                .addTensor("t", GgmlType.Q8_0, shape, out -> {
                    out.write(q, 0, 10);       // in pieces, as a streaming producer would
                    out.write(q, 10, q.length - 10);
                })
                .write(streamed);
        assertThat(Files.readAllBytes(streamed)).isEqualTo(Files.readAllBytes(fromMemory));
    }

    @Test
    void contentOfTheWrongLengthFailsNamingTheTensor() {
        Path file = dir.resolve("c.gguf");
        GgufWriter w = new GgufWriter().addTensor("blk.0.attn_q.weight", GgmlType.Q4_0, new long[]{32, 2}, out -> out.write(new byte[35]));
        assertThatThrownBy(() -> w.write(file)).isInstanceOf(IOException.class)
                .hasMessageContaining("blk.0.attn_q.weight").hasMessageContaining("36").hasMessageContaining("35");
    }
}
