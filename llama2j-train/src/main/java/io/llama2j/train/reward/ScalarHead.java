package io.llama2j.train.reward;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The reward model's regression head r = w · h + b: weights then bias in one array (so one
 * AdamW instance updates it), with its gradient. Saved as a small file beside the backbone
 * ("LRWH", dim, then dim + 1 floats; big-endian, as DataOutput writes).
 */
public final class ScalarHead {
    public static final String FILE_NAME = "reward-head.bin";
    private static final int MAGIC = 0x4c525748; // "LRWH"
    /** Widest head a file may declare (validated before allocating). */
    private static final int MAX_DIM = 1 << 16;

    private final float[] values;
    private final float[] gradients;

    public ScalarHead(float[] weightsThenBias) {
        if (weightsThenBias.length < 2) throw new IllegalArgumentException("a scalar head needs weights and a bias");
        this.values = weightsThenBias;
        this.gradients = new float[weightsThenBias.length];
    }

    public int dim() { return values.length - 1; }

    /** Weights then bias (live: the optimizer updates it). */
    public float[] values() { return values; }

    public float[] gradients() { return gradients; }

    public void zeroGradients() { java.util.Arrays.fill(gradients, 0f); }

    /** w · hidden[at .. at + dim) + b. */
    public double apply(float[] hidden, int at) {
        int dim = dim();
        double sum = values[dim];
        for (int i = 0; i < dim; i++) sum += (double) values[i] * hidden[at + i];
        return sum;
    }

    /** For dL/dr = {@code dScore}: dw += dScore · h, db += dScore, dHidden[dAt ..] += dScore · w. */
    public void backward(float[] hidden, int at, double dScore, float[] dHidden, int dAt) {
        int dim = dim();
        for (int i = 0; i < dim; i++) {
            gradients[i] += (float) (dScore * hidden[at + i]);
            dHidden[dAt + i] += (float) (dScore * values[i]);
        }
        gradients[dim] += (float) dScore;
    }

    /** Writes a temporary file and renames it over {@code file}, so a crash leaves the old head or the new one. */
    public void write(Path file) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(temp)))) {
            out.writeInt(MAGIC);
            out.writeInt(dim());
            for (float v : values) out.writeFloat(v);
        }
        Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    public static ScalarHead read(Path file) throws IOException {
        long size = Files.size(file);
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            int magic = in.readInt();
            if (magic != MAGIC) {
                throw new IOException(file + ": not a reward head file (magic 0x" + Integer.toHexString(magic) + ", expected 0x"
                        + Integer.toHexString(MAGIC) + ")");
            }
            int dim = in.readInt();
            if (dim <= 0 || dim > MAX_DIM || size != 8L + 4L * (dim + 1)) {
                throw new IOException(file + ": head width " + dim + " does not match the file size " + size
                        + " (expected 8 + 4 * (dim + 1) bytes, dim in [1, " + MAX_DIM + "])");
            }
            float[] values = new float[dim + 1];
            for (int i = 0; i <= dim; i++) values[i] = in.readFloat();
            return new ScalarHead(values);
        }
    }
}
