package io.llama2j.llama2c;

import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.tensor.FloatTensor;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Test-side writer of llama2.c version 2 (int8) checkpoints, following export.py
 * version2_export and quantize_q80: per group of groupSize values, scale = max|w| / 127 and
 * q = round(w / scale).
 */
final class Llama2cQ8Exporter {
    private Llama2cQ8Exporter() {}

    static byte[] export(LlamaConfig c, LlamaWeights w, int groupSize) {
        boolean shared = w.output() == w.tokenEmbedding();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer header = ByteBuffer.allocate(Llama2cCheckpoint.HEADER_BYTES_V1).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(Llama2cCheckpoint.MAGIC).putInt(2)
                .putInt(c.dim()).putInt(c.hiddenDim()).putInt(c.nLayers()).putInt(c.nHeads()).putInt(c.nKvHeads())
                .putInt(c.vocabSize()).putInt(c.contextLength())
                .put((byte) (shared ? 1 : 0)).putInt(groupSize);
        out.writeBytes(header.array());
        for (FloatTensor t : w.attentionNorm()) out.writeBytes(floats(values(t)));
        for (FloatTensor t : w.ffnNorm()) out.writeBytes(floats(values(t)));
        out.writeBytes(floats(values(w.outputNorm())));
        quantize(out, w.tokenEmbedding(), groupSize);
        for (FloatTensor[] list : new FloatTensor[][]{w.wq(), w.wk(), w.wv(), w.wo(), w.w1(), w.w2(), w.w3()}) {
            for (FloatTensor t : list) quantize(out, t, groupSize);
        }
        if (!shared) quantize(out, w.output(), groupSize);
        return out.toByteArray();
    }

    static float[] values(FloatTensor t) {
        float[] v = new float[Math.toIntExact(t.size())];
        t.dequantize(0, v, 0, v.length);
        return v;
    }

    static void quantize(ByteArrayOutputStream out, FloatTensor t, int groupSize) {
        float[] v = values(t);
        byte[] q = new byte[v.length];
        float[] scales = new float[v.length / groupSize];
        for (int g = 0; g < scales.length; g++) {
            float max = 0;
            for (int i = g * groupSize; i < (g + 1) * groupSize; i++) max = Math.max(max, Math.abs(v[i]));
            scales[g] = max / 127f;
            for (int i = g * groupSize; i < (g + 1) * groupSize; i++) {
                q[i] = (byte) (scales[g] == 0 ? 0 : Math.round(v[i] / scales[g]));
            }
        }
        out.writeBytes(q);
        out.writeBytes(floats(scales));
    }

    static byte[] floats(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }
}
