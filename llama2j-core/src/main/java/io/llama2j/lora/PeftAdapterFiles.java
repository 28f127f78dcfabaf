package io.llama2j.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llama2j.hf.HfRopePermutation;
import io.llama2j.model.LlamaConfig;
import io.llama2j.safetensors.SafetensorsDType;
import io.llama2j.safetensors.SafetensorsFile;
import io.llama2j.safetensors.SafetensorsTensorInfo;
import io.llama2j.safetensors.SafetensorsWriter;
import io.llama2j.tensor.F32Tensor;
import io.llama2j.tensor.FloatTensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * Hugging Face PEFT's LoRA adapter folder: adapter_config.json (peft_type LORA, r, lora_alpha,
 * lora_dropout, target_modules, use_rslora) and adapter_model.safetensors with, per adapted
 * module, {@code base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight} (r, in) and
 * {@code ...lora_B.weight} (out, r). HF stores q_proj/k_proj rows permuted for rotate_half RoPE
 * ({@link HfRopePermutation}); B's rows are permuted the same way (A acts on the input, which is
 * not permuted), so they are un-permuted on read and permuted on write.
 */
public final class PeftAdapterFiles {
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    private static final String PREFIX = "base_model.model.model.layers.";
    private static final ObjectMapper JSON = new ObjectMapper();

    private PeftAdapterFiles() {}

    /** The tensor name of one adapter matrix ("lora_A" or "lora_B"). */
    public static String tensorName(int layer, LoraTarget target, String matrix) {
        return PREFIX + layer + "." + target.path() + "." + matrix + ".weight";
    }

    /** Reads the adapter in {@code dir} for a model of shape {@code model}. */
    public static LoraAdapter read(Path dir, LlamaConfig model) throws IOException {
        LoraConfig config = readConfig(dir.resolve(CONFIG_FILE));
        Path weightsFile = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weightsFile)) {
            throw new IOException(weightsFile + ": missing (a PEFT LoRA folder holds " + CONFIG_FILE + " and " + WEIGHTS_FILE + ")");
        }
        LoraWeights[][] weights = new LoraWeights[LoraTarget.values().length][];
        try (SafetensorsFile file = SafetensorsFile.open(weightsFile)) {
            int r = config.rank();
            for (LoraTarget t : config.targets()) {
                int rows = t.rows(model), cols = t.columns(model);
                weights[t.ordinal()] = new LoraWeights[model.nLayers()];
                for (int l = 0; l < model.nLayers(); l++) {
                    float[] a = load(file, tensorName(l, t, "lora_A"), r, cols);
                    FloatTensor b = file.tensor(checked(file, tensorName(l, t, "lora_B"), rows, r));
                    if (t.ropeHeads(model) > 0) b = HfRopePermutation.toMeta(b, t.ropeHeads(model), rows, r);
                    float[] bValues = new float[rows * r];
                    b.dequantize(0, bValues, 0, bValues.length);
                    weights[t.ordinal()][l] = new LoraWeights(r, rows, cols, a, bValues);
                }
            }
            for (String name : file.tensors().keySet()) {
                if (name.contains(".lora_") && !isExpected(name, config.targets(), model.nLayers())) {
                    throw new IOException(weightsFile + ": tensor '" + name + "' is not one of the adapter's "
                            + config.targets().size() + " target modules x " + model.nLayers() + " layers");
                }
            }
        } catch (IllegalArgumentException e) {
            throw new IOException(weightsFile + ": " + e.getMessage(), e);
        }
        return new LoraAdapter(config, model.nLayers(), weights);
    }

    private static boolean isExpected(String name, Set<LoraTarget> targets, int layers) {
        for (LoraTarget t : targets) {
            for (int l = 0; l < layers; l++) {
                if (name.equals(tensorName(l, t, "lora_A")) || name.equals(tensorName(l, t, "lora_B"))) return true;
            }
        }
        return false;
    }

    private static String checked(SafetensorsFile file, String name, int rows, int cols) throws IOException {
        if (!file.contains(name)) throw new IOException(file.path() + ": missing tensor '" + name + "'");
        SafetensorsTensorInfo info = file.info(name);
        long[] shape = info.shape();
        if (shape.length != 2 || shape[0] != rows || shape[1] != cols) {
            throw new IOException(file.path() + ": tensor '" + name + "' has shape " + Arrays.toString(shape)
                    + ", expected [" + rows + ", " + cols + "]");
        }
        return name;
    }

    private static float[] load(SafetensorsFile file, String name, int rows, int cols) throws IOException {
        FloatTensor t = file.tensor(checked(file, name, rows, cols));
        float[] values = new float[rows * cols];
        t.dequantize(0, values, 0, values.length);
        return values;
    }

    /** Parses and validates adapter_config.json. */
    public static LoraConfig readConfig(Path path) throws IOException {
        if (!Files.isRegularFile(path)) throw new IOException(path + ": missing (expected a PEFT LoRA adapter_config.json)");
        JsonNode root;
        try {
            root = JSON.readTree(path.toFile());
        } catch (IOException e) {
            throw new IOException(path + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new IOException(path + ": expected a JSON object");
        String peftType = root.path("peft_type").asText("LORA");
        if (!peftType.equalsIgnoreCase("LORA")) throw new IOException(path + ": peft_type is " + peftType + ", expected LORA");
        if (!root.path("r").canConvertToInt()) throw new IOException(path + ": field 'r' (rank) must be an integer, found " + root.path("r"));
        if (!root.path("lora_alpha").isNumber()) throw new IOException(path + ": field 'lora_alpha' must be a number, found " + root.path("lora_alpha"));
        if (root.path("fan_in_fan_out").asBoolean(false)) {
            throw new IOException(path + ": fan_in_fan_out = true (GPT-2 Conv1D layout) is not a Llama adapter");
        }
        for (String unsupported : new String[]{"rank_pattern", "alpha_pattern"}) {
            JsonNode n = root.path(unsupported);
            if (n.isObject() && !n.isEmpty()) throw new IOException(path + ": per-module " + unsupported + " is not supported, found " + n);
        }
        JsonNode layersToTransform = root.path("layers_to_transform");
        if (!layersToTransform.isMissingNode() && !layersToTransform.isNull()) {
            throw new IOException(path + ": layers_to_transform is not supported (found " + layersToTransform + "); adapters must cover every layer");
        }
        JsonNode modules = root.path("target_modules");
        Set<LoraTarget> targets = EnumSet.noneOf(LoraTarget.class);
        if (modules.isTextual()) {
            throw new IOException(path + ": target_modules as a regular expression (" + modules.asText() + ") is not supported; list the modules");
        }
        if (!modules.isArray() || modules.isEmpty()) throw new IOException(path + ": target_modules must be a non-empty list, found " + modules);
        try {
            for (JsonNode m : modules) targets.add(LoraTarget.parse(m.asText()));
            return new LoraConfig(root.path("r").asInt(), root.path("lora_alpha").asDouble(),
                    root.path("lora_dropout").asDouble(0), targets, root.path("use_rslora").asBoolean(false));
        } catch (IllegalArgumentException e) {
            throw new IOException(path + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code adapter} into {@code dir} (created if needed) as PEFT does, F32 tensors. */
    public static void write(Path dir, LoraAdapter adapter, LlamaConfig model, String baseModel) throws IOException {
        adapter.validate(model, "adapter to write");
        Files.createDirectories(dir);
        LoraConfig c = adapter.config();
        ObjectNode json = JSON.createObjectNode();
        json.put("peft_type", "LORA");
        json.put("task_type", "CAUSAL_LM");
        json.put("base_model_name_or_path", baseModel == null ? "" : baseModel);
        json.put("r", c.rank());
        json.put("lora_alpha", c.alpha());
        json.put("lora_dropout", c.dropout());
        json.put("use_rslora", c.rankStabilized());
        json.put("bias", "none");
        json.put("fan_in_fan_out", false);
        json.put("inference_mode", true);
        ArrayNode modules = json.putArray("target_modules");
        for (LoraTarget t : LoraTarget.values()) if (c.targets().contains(t)) modules.add(t.module());
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(CONFIG_FILE).toFile(), json);

        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        int r = c.rank();
        for (int l = 0; l < model.nLayers(); l++) {
            for (LoraTarget t : LoraTarget.values()) {
                if (!adapter.adapts(t)) continue;
                LoraWeights w = adapter.weights(t, l);
                FloatTensor b = F32Tensor.of(w.b());
                if (t.ropeHeads(model) > 0) b = HfRopePermutation.toHf(b, t.ropeHeads(model), w.rows(), r);
                writer.add(tensorName(l, t, "lora_A"), SafetensorsDType.F32, new long[]{r, w.columns()}, F32Tensor.of(w.a()));
                writer.add(tensorName(l, t, "lora_B"), SafetensorsDType.F32, new long[]{w.rows(), r}, b);
            }
        }
        writer.write(dir.resolve(WEIGHTS_FILE));
    }
}
