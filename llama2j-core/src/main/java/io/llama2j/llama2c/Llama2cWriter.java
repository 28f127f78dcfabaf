package io.llama2j.llama2c;

import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.tensor.FloatTensor;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a model as a llama2.c legacy (version 0) float32 checkpoint, the format run.c reads
 * (layout in {@link Llama2cCheckpoint}). Quantized weights are dequantized. The file cannot
 * record rmsNormEps or ropeTheta: run.c assumes 1e-5 and 10000, so other values are refused.
 */
public final class Llama2cWriter {
    private Llama2cWriter() {}

    /** Elements converted per write (bounds the staging buffer). */
    private static final int CHUNK = 1 << 16;

    public static void writeV0(Path file, LlamaConfig c, LlamaWeights w) throws IOException {
        w.validate(c, "model to export");
        if (c.rmsNormEps() != Llama2cCheckpoint.RMS_NORM_EPS || c.ropeTheta() != Llama2cCheckpoint.ROPE_THETA) {
            throw new IllegalArgumentException("llama2.c files assume rms_norm_eps " + Llama2cCheckpoint.RMS_NORM_EPS
                    + " and rope_theta " + Llama2cCheckpoint.ROPE_THETA + "; this model has " + c.rmsNormEps()
                    + " and " + c.ropeTheta() + ", which the format cannot record");
        }
        boolean tied = w.output() == w.tokenEmbedding();
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            ByteBuffer header = ByteBuffer.allocate(Llama2cCheckpoint.HEADER_BYTES_V0).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(c.dim()).putInt(c.hiddenDim()).putInt(c.nLayers()).putInt(c.nHeads()).putInt(c.nKvHeads())
                    .putInt(tied ? c.vocabSize() : -c.vocabSize()).putInt(c.contextLength());
            out.write(header.array());
            write(out, w.tokenEmbedding());
            for (FloatTensor t : w.attentionNorm()) write(out, t);
            for (FloatTensor[] list : new FloatTensor[][]{w.wq(), w.wk(), w.wv(), w.wo()}) {
                for (FloatTensor t : list) write(out, t);
            }
            for (FloatTensor t : w.ffnNorm()) write(out, t);
            for (FloatTensor[] list : new FloatTensor[][]{w.w1(), w.w2(), w.w3()}) {
                for (FloatTensor t : list) write(out, t);
            }
            write(out, w.outputNorm());
            writeRopeTables(out, c);
            if (!tied) write(out, w.output());
        }
    }

    /** export.py precompute_freqs_cis: cos and sin of pos · θ^(-2i/headSize), (seq_len, headSize/2) each. */
    private static void writeRopeTables(OutputStream out, LlamaConfig c) throws IOException {
        int half = c.headSize() / 2;
        for (int part = 0; part < 2; part++) {
            float[] row = new float[half];
            for (int pos = 0; pos < c.contextLength(); pos++) {
                for (int i = 0; i < half; i++) {
                    double angle = pos * Math.pow(c.ropeTheta(), -(2.0 * i) / c.headSize());
                    row[i] = (float) (part == 0 ? Math.cos(angle) : Math.sin(angle));
                }
                writeFloats(out, row, half);
            }
        }
    }

    private static void write(OutputStream out, FloatTensor t) throws IOException {
        float[] chunk = new float[CHUNK];
        for (long offset = 0; offset < t.size(); offset += CHUNK) {
            int n = (int) Math.min(CHUNK, t.size() - offset);
            t.dequantize(offset, chunk, 0, n);
            writeFloats(out, chunk, n);
        }
    }

    private static void writeFloats(OutputStream out, float[] values, int n) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values, 0, n);
        out.write(bytes.array());
    }
}
