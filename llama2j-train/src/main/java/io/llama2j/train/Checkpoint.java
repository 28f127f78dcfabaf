package io.llama2j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llama2j.model.LlamaConfig;
import io.llama2j.train.optim.OptimizerConfig;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything needed to continue a run exactly: model shape, trainer configuration, completed
 * steps, the data loader's position, the optimizer's update count, and the parameters and both
 * AdamW moments bit for bit. Stages with more state than one model and its optimizer (a reward
 * model's head, PPO's value model and kept policy, early-stopping counters) add named extra
 * arrays and values; pretraining and SFT have none. Little-endian file:
 * <pre>
 *   "L2JC", int32 version, int32 JSON length, JSON header (UTF-8), then float32 arrays:
 *   parameters, first moment, second moment (each "parameters" long in the header),
 *   then each extra array in the order of the header's "extra_arrays" [{name, length}]
 * </pre>
 * Extra values are in the header's "extra_values" object (JSON doubles round-trip exactly).
 * Written to a temporary file, forced to disk and renamed over the old one, so a crash at any
 * moment leaves either the previous checkpoint or the new one, never a torn file.
 */
public record Checkpoint(LlamaConfig model, boolean tiedEmbeddings, TrainerConfig trainer, int step,
                         long loaderPosition, long optimizerUpdates, float[] parameters, float[] firstMoment,
                         float[] secondMoment, Map<String, float[]> extraArrays, Map<String, Double> extraValues) {
    public static final String FILE_NAME = "checkpoint.bin";
    private static final byte[] MAGIC = {'L', '2', 'J', 'C'};
    private static final int VERSION = 1;
    private static final int MAX_HEADER_BYTES = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    public Checkpoint {
        extraArrays = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(extraArrays));
        extraValues = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(extraValues));
    }

    /** A checkpoint of one model and its optimizer, with no extra state (pretraining, SFT). */
    public Checkpoint(LlamaConfig model, boolean tiedEmbeddings, TrainerConfig trainer, int step, long loaderPosition,
                      long optimizerUpdates, float[] parameters, float[] firstMoment, float[] secondMoment) {
        this(model, tiedEmbeddings, trainer, step, loaderPosition, optimizerUpdates, parameters, firstMoment, secondMoment,
                Map.of(), Map.of());
    }

    /** The extra array {@code name}, which a stage's resume requires. */
    public float[] extraArray(Path file, String name, int expectedLength) throws IOException {
        float[] a = extraArrays.get(name);
        if (a == null) throw new IOException(file + ": checkpoint has no \"" + name + "\" state; it was not written by this stage");
        if (a.length != expectedLength) {
            throw new IOException(file + ": checkpoint state \"" + name + "\" has " + a.length + " values, the run needs " + expectedLength);
        }
        return a;
    }

    /** The extra value {@code name}, which a stage's resume requires. */
    public double extraValue(Path file, String name) throws IOException {
        Double v = extraValues.get(name);
        if (v == null) throw new IOException(file + ": checkpoint has no \"" + name + "\" value; it was not written by this stage");
        return v;
    }

    public void write(Path file) throws IOException {
        ObjectNode h = JSON.createObjectNode();
        ObjectNode m = h.putObject("model");
        m.put("dim", model.dim()).put("hidden_dim", model.hiddenDim()).put("n_layers", model.nLayers())
                .put("n_heads", model.nHeads()).put("n_kv_heads", model.nKvHeads()).put("vocab_size", model.vocabSize())
                .put("context_length", model.contextLength()).put("rms_norm_eps", model.rmsNormEps())
                .put("rope_theta", model.ropeTheta()).put("tied_embeddings", tiedEmbeddings);
        ObjectNode t = h.putObject("trainer");
        t.put("steps", trainer.steps()).put("batch", trainer.batch()).put("seq", trainer.seqLen())
                .put("grad_accum", trainer.gradAccum()).put("eval_every", trainer.evalEvery())
                .put("eval_batches", trainer.evalBatches()).put("save_every", trainer.saveEvery()).put("seed", trainer.seed());
        OptimizerConfig o = trainer.optimizer();
        ObjectNode oj = t.putObject("optimizer");
        oj.put("peak_lr", o.peakLearningRate()).put("warmup_steps", o.warmupSteps()).put("min_lr_ratio", o.minLearningRateRatio())
                .put("beta1", o.beta1()).put("beta2", o.beta2()).put("eps", o.epsilon()).put("weight_decay", o.weightDecay())
                .put("grad_clip", o.gradientClip());
        h.put("step", step).put("loader_position", loaderPosition).put("optimizer_updates", optimizerUpdates)
                .put("parameters", parameters.length);
        ArrayNode extras = h.putArray("extra_arrays");
        extraArrays.forEach((name, a) -> extras.addObject().put("name", name).put("length", a.length));
        ObjectNode values = h.putObject("extra_values");
        extraValues.forEach(values::put);
        byte[] header = JSON.writeValueAsBytes(h);

        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer head = ByteBuffer.allocate(12 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            head.put(MAGIC).putInt(VERSION).putInt(header.length).put(header).flip();
            writeFully(ch, head);
            for (float[] array : new float[][]{parameters, firstMoment, secondMoment}) writeFloats(ch, array);
            for (float[] array : extraArrays.values()) writeFloats(ch, array);
            ch.force(true);
        }
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public static Checkpoint read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no checkpoint to resume from");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, head, file, "header");
            byte[] magic = new byte[4];
            head.flip().get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) throw new IOException(file + ": not a llama2j training checkpoint (magic)");
            int version = head.getInt(), headerLength = head.getInt();
            if (version != VERSION) throw new IOException(file + ": checkpoint version: expected " + VERSION + ", found " + version);
            if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || headerLength > size - 12) {
                throw new IOException(file + ": checkpoint header length " + headerLength + " is invalid for a file of " + size + " bytes");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate(headerLength);
            readFully(ch, headerBytes, file, "JSON header");
            JsonNode h = JSON.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8));
            JsonNode m = h.path("model"), t = h.path("trainer"), o = t.path("optimizer");
            LlamaConfig model = new LlamaConfig(m.path("dim").asInt(), m.path("hidden_dim").asInt(), m.path("n_layers").asInt(),
                    m.path("n_heads").asInt(), m.path("n_kv_heads").asInt(), m.path("vocab_size").asInt(),
                    m.path("context_length").asInt(), (float) m.path("rms_norm_eps").asDouble(), (float) m.path("rope_theta").asDouble());
            OptimizerConfig optimizer = new OptimizerConfig(o.path("peak_lr").asDouble(), o.path("warmup_steps").asInt(),
                    o.path("min_lr_ratio").asDouble(), o.path("beta1").asDouble(), o.path("beta2").asDouble(),
                    o.path("eps").asDouble(), o.path("weight_decay").asDouble(), o.path("grad_clip").asDouble());
            TrainerConfig trainer = new TrainerConfig(t.path("steps").asInt(), t.path("batch").asInt(), t.path("seq").asInt(),
                    t.path("grad_accum").asInt(), t.path("eval_every").asInt(), t.path("eval_batches").asInt(),
                    t.path("save_every").asInt(), t.path("seed").asLong(), optimizer);
            long n = h.path("parameters").asLong(-1);
            Map<String, Long> extraLengths = new LinkedHashMap<>();
            long extraFloats = 0;
            for (JsonNode e : h.path("extra_arrays")) {
                String name = e.path("name").asText("");
                long length = e.path("length").asLong(-1);
                if (name.isEmpty() || length < 0 || length > Integer.MAX_VALUE || extraLengths.put(name, length) != null) {
                    throw new IOException(file + ": checkpoint extra array " + e + " needs a unique name and a length in [0, 2^31)");
                }
                extraFloats += length;
            }
            long expected = 12L + headerLength + (3 * n + extraFloats) * Float.BYTES;
            if (n <= 0 || n > Integer.MAX_VALUE || size != expected) {
                throw new IOException(file + ": checkpoint with " + n + " parameters and " + extraFloats + " extra values should be "
                        + expected + " bytes, found " + size);
            }
            float[] params = readFloats(ch, (int) n, file), first = readFloats(ch, (int) n, file), second = readFloats(ch, (int) n, file);
            Map<String, float[]> extraArrays = new LinkedHashMap<>();
            for (var e : extraLengths.entrySet()) extraArrays.put(e.getKey(), readFloats(ch, (int) (long) e.getValue(), file));
            Map<String, Double> extraValues = new LinkedHashMap<>();
            for (var it = h.path("extra_values").properties().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (!e.getValue().isNumber()) {
                    throw new IOException(file + ": checkpoint extra value \"" + e.getKey() + "\" should be a number, found " + e.getValue());
                }
                extraValues.put(e.getKey(), e.getValue().asDouble());
            }
            return new Checkpoint(model, m.path("tied_embeddings").asBoolean(), trainer, h.path("step").asInt(),
                    h.path("loader_position").asLong(), h.path("optimizer_updates").asLong(), params, first, second,
                    extraArrays, extraValues);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": invalid checkpoint header: " + e.getMessage(), e);
        }
    }

    private static void writeFloats(FileChannel ch, float[] values) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; ) {
            int n = Math.min(values.length - i, buffer.capacity() / Float.BYTES);
            buffer.clear();
            buffer.asFloatBuffer().put(values, i, n);
            buffer.limit(n * Float.BYTES);
            writeFully(ch, buffer);
            i += n;
        }
    }

    private static float[] readFloats(FileChannel ch, int count, Path file) throws IOException {
        float[] values = new float[count];
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; ) {
            int n = Math.min(count - i, buffer.capacity() / Float.BYTES);
            buffer.clear().limit(n * Float.BYTES);
            readFully(ch, buffer, file, "tensor data");
            buffer.flip();
            buffer.asFloatBuffer().get(values, i, n);
            i += n;
        }
        return values;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    private static void readFully(FileChannel ch, ByteBuffer b, Path file, String what) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) throw new IOException(file + ": checkpoint truncated in its " + what);
        }
    }
}
