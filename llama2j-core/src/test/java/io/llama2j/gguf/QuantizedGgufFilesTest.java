package io.llama2j.gguf;

import io.llama2j.TestData;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.GgmlType;
import io.llama2j.tensor.Quantizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tiny Llama 2 GGUF files of ../shared/testdata/gguf, one per storage type (PROVENANCE.md):
 * documented facts, and agreement of our quantizers and dequantizers with llama-quantize's output.
 */
class QuantizedGgufFilesTest {

    static final List<String> NORMS = List.of("blk.0.attn_norm.weight", "blk.0.ffn_norm.weight",
            "blk.1.attn_norm.weight", "blk.1.ffn_norm.weight", "output_norm.weight");

    static GgufFile open(String type) throws Exception {
        return GgufFile.open(TestData.file("gguf/tiny-llama2-" + type + ".gguf"));
    }

    static float[] values(FloatTensor t) {
        float[] v = new float[Math.toIntExact(t.size())];
        t.dequantize(0, v, 0, v.length);
        return v;
    }

    static boolean isNorm(String name) { return NORMS.contains(name); }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q5_K", "Q6_K", "Q4_K_M"})
    void normsAreF32AndMatricesHaveTheFileTypeAndTheDocumentedShapes(String typeName) throws Exception {
        boolean shapeK = typeName.contains("_K");
        long dim = shapeK ? 256 : 64, kvDim = shapeK ? 128 : 32, ffn = shapeK ? 768 : 192, vocab = 32000;
        try (GgufFile gguf = open(typeName)) {
            assertThat(gguf.version()).isEqualTo(3);
            assertThat(gguf.alignment()).isEqualTo(32);
            assertThat(gguf.tensors()).hasSize(21);
            for (GgufTensorInfo t : gguf.tensors()) {
                String n = t.name();
                GgmlType expected = isNorm(n) ? GgmlType.F32
                        : typeName.equals("Q4_K_M")
                        ? (List.of("output.weight", "blk.1.attn_v.weight", "blk.1.ffn_down.weight").contains(n) ? GgmlType.Q6_K : GgmlType.Q4_K)
                        : GgmlType.valueOf(typeName);
                assertThat(t.type()).as(n).isEqualTo(expected);
                long[] shape = isNorm(n) ? new long[]{dim}
                        : n.startsWith("token_embd") || n.startsWith("output.") ? new long[]{dim, vocab}
                        : n.endsWith("attn_k.weight") || n.endsWith("attn_v.weight") ? new long[]{dim, kvDim}
                        : n.endsWith("ffn_down.weight") ? new long[]{ffn, dim}
                        : n.endsWith("ffn_gate.weight") || n.endsWith("ffn_up.weight") ? new long[]{dim, ffn}
                        : new long[]{dim, dim};
                assertThat(t.shape()).as(n).containsExactly(shape);
            }
        }
    }

    /**
     * llama-quantize --pure writes F16, BF16, Q8_0 and Q4_0 with ggml's reference row
     * quantizers (no importance matrix), so quantizing the F32 master ourselves must give the
     * same bytes.
     */
    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16", "Q8_0", "Q4_0"})
    void ourQuantizerReproducesLlamaQuantizeByteForByte(String typeName) throws Exception {
        GgmlType type = GgmlType.valueOf(typeName);
        try (GgufFile master = open("F32"); GgufFile quantized = open(typeName)) {
            for (GgufTensorInfo info : quantized.tensors()) {
                if (isNorm(info.name())) continue;
                byte[] ours = Quantizer.quantize(type, values(master.tensor(info.name())));
                byte[] theirs = quantized.tensorData(info).toArray(ValueLayout.JAVA_BYTE);
                assertThat(ours).as(info.name()).isEqualTo(theirs);
            }
        }
    }

    /**
     * Quantizing dequantized Q8_0 and Q4_0 weights gives back the file's bytes: the largest
     * value of each block is exactly ±127·d (Q8_0) or −8·d (Q4_0), so the scale is recovered
     * and every value lands back on its integer.
     */
    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0"})
    void requantizingDequantizedWeightsRoundTripsToTheFileBytes(String typeName) throws Exception {
        GgmlType type = GgmlType.valueOf(typeName);
        try (GgufFile gguf = open(typeName)) {
            for (GgufTensorInfo info : gguf.tensors()) {
                if (info.type() != type) continue;
                byte[] again = Quantizer.quantize(type, values(gguf.tensor(info.name())));
                assertThat(again).as(info.name()).isEqualTo(gguf.tensorData(info).toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }

    /**
     * Dequantized shape-S weights lie within their type's quantization error of the F32 master,
     * bounded per 32-value block from the master's values: F16 half an ulp (2^-11 relative, plus
     * the subnormal step 2^-25), BF16 2^-8 relative, Q8_0 half a step amax/127 plus the fp16
     * rounding of the scale, Q4_0 one step amax/8 (the clamp at 15), Q4_1 half a step
     * (max − min)/15 plus the fp16 rounding of scale and minimum.
     */
    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1"})
    void dequantizedWeightsAreWithinQuantizationErrorOfTheF32Master(String typeName) throws Exception {
        try (GgufFile master = open("F32"); GgufFile quantized = open(typeName)) {
            for (GgufTensorInfo info : quantized.tensors()) {
                float[] exact = values(master.tensor(info.name()));
                float[] approx = values(quantized.tensor(info.name()));
                assertThat(approx).hasSameSizeAs(exact);
                if (isNorm(info.name())) {
                    assertThat(approx).as(info.name()).isEqualTo(exact);
                    continue;
                }
                for (int b = 0; b < exact.length / 32; b++) {
                    float amax = 0, min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
                    for (int j = 0; j < 32; j++) {
                        float v = exact[32 * b + j];
                        amax = Math.max(amax, Math.abs(v));
                        min = Math.min(min, v);
                        max = Math.max(max, v);
                    }
                    for (int j = 0; j < 32; j++) {
                        int i = 32 * b + j;
                        double bound = switch (typeName) {
                            case "F16" -> Math.abs(exact[i]) * 0x1p-11 + 0x1p-25;
                            case "BF16" -> Math.abs(exact[i]) * 0x1p-8;
                            case "Q8_0" -> amax / 127.0 / 2 + amax * 0x1p-11;
                            case "Q4_0" -> amax / 8.0 + amax * 0x1p-11;
                            case "Q4_1" -> (max - min) / 15.0 / 2 + (Math.abs(max) + Math.abs(min)) * 0x1p-10;
                            default -> throw new IllegalArgumentException(typeName);
                        };
                        if (Math.abs(approx[i] - exact[i]) > bound * 1.001) {
                            assertThat((double) Math.abs(approx[i] - exact[i])).as("%s[%d]", info.name(), i).isLessThanOrEqualTo(bound);
                        }
                    }
                }
            }
        }
    }

    /**
     * The K files come from one F32 master (not kept), so each type must be close to the
     * finest one, Q6_K: relative RMS differences are about the coarser type's step size.
     * Q4_K_M's tensors were quantized by the same code as the pure files: byte-identical.
     */
    @Test
    void kQuantFilesAgreeWithEachOtherAndQ4_K_MReusesThePureQuantizations() throws Exception {
        try (GgufFile q4 = open("Q4_K"); GgufFile q5 = open("Q5_K"); GgufFile q6 = open("Q6_K"); GgufFile mix = open("Q4_K_M")) {
            for (GgufTensorInfo info : q6.tensors()) {
                String n = info.name();
                float[] fine = values(q6.tensor(n));
                double rms = 0, d4 = 0, d5 = 0;
                float[] c4 = values(q4.tensor(n)), c5 = values(q5.tensor(n));
                for (int i = 0; i < fine.length; i++) {
                    rms += fine[i] * (double) fine[i];
                    d4 += Math.pow(c4[i] - fine[i], 2);
                    d5 += Math.pow(c5[i] - fine[i], 2);
                }
                if (isNorm(n)) {
                    assertThat(d4 + d5).as(n).isZero();
                } else {
                    assertThat(Math.sqrt(d4 / rms)).as("Q4_K vs Q6_K relative RMS of %s", n).isBetween(0.02, 0.15);
                    assertThat(Math.sqrt(d5 / rms)).as("Q5_K vs Q6_K relative RMS of %s", n).isBetween(0.005, 0.08);
                }
                GgufTensorInfo m = mix.tensorInfo(n);
                GgufFile pure = switch (m.type()) {
                    case Q6_K -> q6;
                    case Q4_K -> q4;
                    default -> q6; // the F32 norms
                };
                assertThat(mix.tensorData(m).toArray(ValueLayout.JAVA_BYTE)).as(n)
                        .isEqualTo(pure.tensorData(pure.tensorInfo(n)).toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }

    /** Documented distributions: token_embd N(0,1), attention and gate/up matrices N(0, 1/dim). */
    @ParameterizedTest
    @ValueSource(strings = {"Q4_0", "Q4_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K"})
    void dequantizedWeightsHaveTheDocumentedStandardDeviations(String typeName) throws Exception {
        try (GgufFile gguf = open(typeName)) {
            long dim = gguf.getLong("llama.embedding_length");
            assertThat(std(values(gguf.tensor("token_embd.weight")))).isCloseTo(1.0, org.assertj.core.api.Assertions.within(0.05));
            assertThat(std(values(gguf.tensor("blk.0.attn_q.weight")))).isCloseTo(1 / Math.sqrt(dim),
                    org.assertj.core.api.Assertions.within(0.05 / Math.sqrt(dim)));
        }
    }

    private static double std(float[] v) {
        double s = 0, s2 = 0;
        for (float x : v) { s += x; s2 += x * (double) x; }
        double mean = s / v.length;
        return Math.sqrt(s2 / v.length - mean * mean);
    }
}
