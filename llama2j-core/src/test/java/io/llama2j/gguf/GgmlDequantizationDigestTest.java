package io.llama2j.gguf;

import io.llama2j.TestData;
import io.llama2j.tensor.FloatTensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dequantization is bit-identical to ggml's. Known answers: SHA-256 of the little-endian
 * float32 values of a tensor as dequantized by gguf-py 0.19.0 {@code gguf.quants.dequantize}
 * (numpy), which PROVENANCE.md reports bit-identical to ggml's {@code to_float} for every
 * tensor of these files. Both our paths are checked: the block decoder ({@code dequantize})
 * and the scalar reference ({@code getFloat}). (A one-off comparison of all 189 tensors of the
 * nine quantized files against gguf-py found no differing bit either.)
 */
class GgmlDequantizationDigestTest {

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "F16, output.weight, 0c9fa876db8e02ada94592813ba5fe6e83c1fbcf684aeb3bf57ede1e5be9b9e6",
            "F16, blk.1.attn_v.weight, 65a26f2cfdb195e47cb6a455f88db2dd6acfd423e6bd20db31b4fdca224024c9",
            "BF16, output.weight, 000e69211bb475dbf4e665b92126b7a33c96db5fb090ea297f10533070a760d7",
            "BF16, blk.1.attn_v.weight, a170653e1388ed92e91fc3cf3f425403a54c26157cf6ef8df1db05f13c90df38",
            "Q8_0, output.weight, a6c33a8776280df2414f0400aa1964392e6bc1aece5697faa9b34bdf5bf5ec61",
            "Q8_0, blk.1.attn_v.weight, 67f914278bdab5eec590c2652ef5f32e5649438986ec9c2094ca0af79040cea1",
            "Q4_0, output.weight, 2c50aeab21903455c3352463eda6ef350b6b1e6c17504ca1932f428636a90a85",
            "Q4_0, blk.1.attn_v.weight, 67adf9dcfa401520a521f787c5e6703e244320abfe00b235dbc9cd85559a6faa",
            "Q4_1, output.weight, 74616f890ecd5b69f739dd53b02bd7195a8e06da04538ec85d2051087377441b",
            "Q4_1, blk.1.attn_v.weight, ae89e65988c943d55e6436a0182aff9e45bd8b674c66b327bebfc534a0946788",
            "Q4_K, output.weight, 110c698a020dde2afff5168308fb589485642a9dfef24c0f618b74bc251c5933",
            "Q4_K, blk.1.attn_v.weight, 940b8af727dfb68ba70617b6b646e578c7a3f24e7187e88cbc293e71bc517f29",
            "Q5_K, output.weight, 9bdee862a3cb6189205c3b4b8d4b5e7380dd63565a938d0b227b2bccd8d2a9b3",
            "Q5_K, blk.1.attn_v.weight, f5184e6270f35901e839b8810a3f0956989a4ce1349e0ca034dd2b49ff2e4765",
            "Q6_K, output.weight, 1945b828b7e8a280795ad40dbebae8cf985e6109428c7131d3d932f2bc6e06ff",
            "Q6_K, blk.1.attn_v.weight, 062727c1ed629ca9623d4948c43a8eafa34a51441b774d113cd39a715ea78cad",
    })
    void dequantizedTensorHasGgmlsDigest(String type, String tensor, String sha256) throws Exception {
        try (GgufFile gguf = GgufFile.open(TestData.file("gguf/tiny-llama2-" + type + ".gguf"))) {
            FloatTensor t = gguf.tensor(tensor);
            float[] block = new float[Math.toIntExact(t.size())];
            t.dequantize(0, block, 0, block.length);
            float[] scalar = new float[block.length];
            for (int i = 0; i < scalar.length; i++) scalar[i] = t.getFloat(i);
            assertThat(sha256(block)).as("dequantize").isEqualTo(sha256);
            assertThat(sha256(scalar)).as("getFloat").isEqualTo(sha256);
        }
    }

    private static String sha256(float[] values) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
    }
}
