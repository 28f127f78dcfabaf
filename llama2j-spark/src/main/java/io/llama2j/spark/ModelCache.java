package io.llama2j.spark;

import io.llama2j.hub.ModelResolver;
import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.train.reward.TrainedRewardModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One loaded (memory-mapped) model per executor JVM and path: every task of the executor shares
 * it, so a model is read once however many partitions and task attempts run there. Models live
 * as long as the JVM (executors are short-lived; the mapping is read-only and shared by the OS
 * page cache). Reward models ({@code reward-train} folders) are read into memory once per JVM
 * the same way; tasks only read their parameters.
 */
public final class ModelCache {
    private record Key(String model, String tokenizer) {}

    private static final ConcurrentHashMap<Key, LoadedModel> MODELS = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<Key, TrainedRewardModel> REWARD_MODELS = new ConcurrentHashMap<>();

    private ModelCache() {}

    /**
     * The model at {@code model} (a path, or an OWNER/REPO reference to the executor's model
     * cache, as {@code llama2j generate -m}) with {@code tokenizer} (null: the model's own),
     * loaded on first use.
     */
    public static LoadedModel get(String model, String tokenizer) {
        Path resolved;
        try {
            resolved = ModelResolver.resolve(Path.of(model));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find model " + model + ": " + e.getMessage(), e);
        }
        Key key = new Key(resolved.toAbsolutePath().normalize().toString(),
                tokenizer == null ? null : Path.of(tokenizer).toAbsolutePath().normalize().toString());
        return MODELS.computeIfAbsent(key, k -> {
            try {
                return ModelLoader.load(Path.of(k.model()), k.tokenizer() == null ? null : Path.of(k.tokenizer()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load model " + k.model() + ": " + e.getMessage(), e);
            }
        });
    }

    /** The reward model in {@code folder} (checkpoint.bin, reward-head.bin) with {@code tokenizer}, read on first use. */
    public static TrainedRewardModel reward(String folder, String tokenizer) {
        Key key = new Key(Path.of(folder).toAbsolutePath().normalize().toString(),
                Path.of(Objects.requireNonNull(tokenizer, "a reward model needs its tokenizer")).toAbsolutePath().normalize().toString());
        return REWARD_MODELS.computeIfAbsent(key, k -> {
            try {
                return TrainedRewardModel.load(Path.of(k.model()), Path.of(k.tokenizer()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load reward model " + k.model() + ": " + e.getMessage(), e);
            }
        });
    }

    /** How many models this JVM holds (for tests of the once-per-JVM property). */
    public static int size() {
        return MODELS.size();
    }

    /** Whether this JVM already holds the model at {@code model}. */
    public static boolean holds(String model) {
        String path = Path.of(Objects.requireNonNull(model)).toAbsolutePath().normalize().toString();
        return MODELS.keySet().stream().anyMatch(k -> k.model().equals(path));
    }
}
