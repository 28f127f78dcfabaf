package io.llama2j.train.lora;

import io.llama2j.lora.LoraAdapter;
import io.llama2j.lora.LoraConfig;
import io.llama2j.lora.LoraTarget;
import io.llama2j.lora.LoraWeights;
import io.llama2j.model.LlamaConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.ParameterTensor;
import io.llama2j.train.ProjectionAdapter;
import io.llama2j.train.TrainableParameters;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trainable LoRA adapters (Hu et al. 2021) beside a frozen model's projections: for each adapted
 * W, y = W·x + s·B·(A·drop(x)) with s = α/r, A (r, in) drawn as PEFT does (Kaiming-uniform,
 * bound 1/√in) and B (out, r) = 0, so training starts from the base model exactly. Only A and B
 * have gradients and optimizer state; the trainer updates them through {@link TrainableParameters}
 * while {@link io.llama2j.train.TrainingModel} calls the forward and backward below beside W.
 * <pre>
 *   forward:  u = A·x̃ (x̃ = x ⊙ dropout keep / (1 − p)),  y += s·B·u
 *   backward: du = s·Bᵀ·dy;  dB += s·dy·uᵀ;  dA += du·x̃ᵀ;  dx += (Aᵀ·du) ⊙ keep / (1 − p)
 * </pre>
 * Dropout masks come from a seeded generator advanced per forward call (resumed runs draw fresh masks).
 */
public final class LoraParameters implements TrainableParameters, ProjectionAdapter {
    private final LoraConfig config;
    private final LlamaConfig model;
    private final Parallel parallel;
    private final float[] values, gradients;
    private final List<ParameterTensor> tensors = new ArrayList<>();
    /** The adapter of each base weight, by the training model's tensor name (blk.N.attn_q.weight ...). */
    private final Map<String, Projection> byBaseName = new HashMap<>();
    private final Projection[][] projections;
    private final long seed;
    private long forwardCalls;

    private final class Projection {
        final LoraTarget target;
        final ParameterTensor a, b;
        final int rows, cols;
        /** u = A·x̃ of the last forward (tokens, r), and x̃'s keep factors (tokens, cols) when dropout is on. */
        float[] projected, keep;

        Projection(LoraTarget target, ParameterTensor a, ParameterTensor b) {
            this.target = target;
            this.a = a;
            this.b = b;
            this.rows = b.rows();
            this.cols = a.columns();
        }
    }

    /** Fresh adapters (A random, B = 0) for every target of {@code config} in every layer of {@code model}. */
    public LoraParameters(LoraConfig config, LlamaConfig model, long seed, Parallel parallel) {
        this.config = config;
        this.model = model;
        this.parallel = parallel;
        this.seed = seed;
        int r = config.rank(), size = 0;
        projections = new Projection[LoraTarget.values().length][];
        for (int l = 0; l < model.nLayers(); l++) {
            for (LoraTarget t : config.targets()) {
                if (projections[t.ordinal()] == null) projections[t.ordinal()] = new Projection[model.nLayers()];
                String base = baseName(t, l);
                String stem = base.substring(0, base.length() - ".weight".length());
                ParameterTensor a = new ParameterTensor(stem + ".lora_a", size, new int[]{r, t.columns(model)}, true);
                size = Math.addExact(size, a.size());
                ParameterTensor b = new ParameterTensor(stem + ".lora_b", size, new int[]{t.rows(model), r}, true);
                size = Math.addExact(size, b.size());
                tensors.add(a);
                tensors.add(b);
                Projection p = new Projection(t, a, b);
                projections[t.ordinal()][l] = p;
                byBaseName.put(base, p);
            }
        }
        values = new float[size];
        gradients = new float[size];
        SplittableRandom random = new SplittableRandom(seed);
        for (Projection[] perLayer : projections) {
            if (perLayer == null) continue;
            for (Projection p : perLayer) {
                double bound = 1 / Math.sqrt(p.cols); // PEFT: kaiming_uniform_(A, a=√5) = U(±1/√fan_in)
                for (int i = p.a.offset(); i < p.a.end(); i++) values[i] = (float) ((2 * random.nextDouble() - 1) * bound);
            }
        }
    }

    /** The training model's name for the base weight a target adapts (GGUF naming, as ModelParameters). */
    public static String baseName(LoraTarget target, int layer) {
        String suffix = switch (target) {
            case Q -> "attn_q";
            case K -> "attn_k";
            case V -> "attn_v";
            case O -> "attn_output";
            case GATE -> "ffn_gate";
            case UP -> "ffn_up";
            case DOWN -> "ffn_down";
        };
        return "blk." + layer + "." + suffix + ".weight";
    }

    public LoraConfig config() { return config; }

    /** A copy of the current adapters for inference and PEFT files. */
    public LoraAdapter toAdapter() {
        LoraWeights[][] w = new LoraWeights[LoraTarget.values().length][];
        for (LoraTarget t : config.targets()) {
            w[t.ordinal()] = new LoraWeights[model.nLayers()];
            for (int l = 0; l < model.nLayers(); l++) {
                Projection p = projections[t.ordinal()][l];
                w[t.ordinal()][l] = new LoraWeights(config.rank(), p.rows, p.cols,
                        Arrays.copyOfRange(values, p.a.offset(), p.a.end()), Arrays.copyOfRange(values, p.b.offset(), p.b.end()));
            }
        }
        return new LoraAdapter(config, model.nLayers(), w);
    }

    @Override public float[] values() { return values; }

    @Override public float[] gradients() { return gradients; }

    @Override public int size() { return values.length; }

    @Override public List<ParameterTensor> tensors() { return List.copyOf(tensors); }

    @Override public void zeroGradients() { Arrays.fill(gradients, 0f); }

    @Override public boolean trainsBase() { return false; }

    @Override
    public void forward(ParameterTensor weight, float[] in, float[] out, int tokens, boolean training) {
        Projection p = byBaseName.get(weight.name());
        if (p == null) return;
        int r = config.rank(), rows = p.rows, cols = p.cols, aOff = p.a.offset(), bOff = p.b.offset();
        float s = config.scale();
        if (p.projected == null || p.projected.length != tokens * r) p.projected = new float[tokens * r];
        float[] keep = dropoutMask(p, tokens, training);
        float[] u = p.projected;
        parallel.forRange(tokens, 1, (first, end) -> {
            for (int t = first; t < end; t++) {
                int x = t * cols;
                for (int k = 0; k < r; k++) {
                    int aRow = aOff + k * cols;
                    float sum = 0;
                    if (keep == null) {
                        for (int i = 0; i < cols; i++) sum += values[aRow + i] * in[x + i];
                    } else {
                        for (int i = 0; i < cols; i++) sum += values[aRow + i] * in[x + i] * keep[x + i];
                    }
                    u[t * r + k] = sum;
                }
                for (int o = 0; o < rows; o++) {
                    float sum = 0;
                    for (int k = 0; k < r; k++) sum += values[bOff + o * r + k] * u[t * r + k];
                    out[t * rows + o] += s * sum;
                }
            }
        });
    }

    /** Inverted dropout's per-element factors (0 or 1/(1 − p)), or null when off. */
    private float[] dropoutMask(Projection p, int tokens, boolean training) {
        double rate = config.dropout();
        if (!training || rate == 0) {
            p.keep = null;
            return null;
        }
        int n = tokens * p.cols;
        if (p.keep == null || p.keep.length != n) p.keep = new float[n];
        SplittableRandom random = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * ++forwardCalls));
        float kept = (float) (1 / (1 - rate));
        for (int i = 0; i < n; i++) p.keep[i] = random.nextDouble() < rate ? 0f : kept;
        return p.keep;
    }

    @Override
    public void backward(ParameterTensor weight, float[] dOut, float[] in, float[] dIn, int tokens) {
        Projection p = byBaseName.get(weight.name());
        if (p == null) return;
        int r = config.rank(), rows = p.rows, cols = p.cols, aOff = p.a.offset(), bOff = p.b.offset();
        float s = config.scale();
        float[] u = p.projected, keep = p.keep;
        // du (tokens, r) = s · dy · B
        float[] du = new float[tokens * r];
        parallel.forRange(tokens, 1, (first, end) -> {
            for (int t = first; t < end; t++) {
                for (int o = 0; o < rows; o++) {
                    float g = s * dOut[t * rows + o];
                    if (g == 0f) continue;
                    for (int k = 0; k < r; k++) du[t * r + k] += g * values[bOff + o * r + k];
                }
            }
        });
        // dB (rows, r) += s · dyᵀ · u
        parallel.forRange(rows, 16, (first, end) -> {
            for (int o = first; o < end; o++) {
                for (int t = 0; t < tokens; t++) {
                    float g = s * dOut[t * rows + o];
                    for (int k = 0; k < r; k++) gradients[bOff + o * r + k] += g * u[t * r + k];
                }
            }
        });
        // dA (r, cols) += duᵀ · x̃
        parallel.forRange(cols, 64, (first, end) -> {
            for (int t = 0; t < tokens; t++) {
                int x = t * cols;
                for (int k = 0; k < r; k++) {
                    float g = du[t * r + k];
                    int aRow = aOff + k * cols;
                    for (int i = first; i < end; i++) gradients[aRow + i] += g * in[x + i] * (keep == null ? 1f : keep[x + i]);
                }
            }
        });
        // dx (tokens, cols) += (du · A) ⊙ keep
        parallel.forRange(tokens, 1, (first, end) -> {
            for (int t = first; t < end; t++) {
                int x = t * cols;
                for (int k = 0; k < r; k++) {
                    float g = du[t * r + k];
                    int aRow = aOff + k * cols;
                    for (int i = 0; i < cols; i++) dIn[x + i] += g * values[aRow + i] * (keep == null ? 1f : keep[x + i]);
                }
            }
        });
    }
}
