package io.llama2j.train;

import io.llama2j.train.optim.AdamW;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A parameter array and its AdamW state (both moments and the update count) as named extra state
 * of a {@link Checkpoint}: how a stage saves and restores what it trains beside the main model (a
 * reward model's scalar head; PPO's value model and value head). Under name n the arrays are n,
 * n_first_moment, n_second_moment and the value n_updates.
 */
public final class OptimizedState {
    private OptimizedState() {}

    /** Adds {@code values} and {@code optimizer}'s state under {@code name} (the arrays are copied). */
    public static void save(String name, float[] values, AdamW optimizer, Map<String, float[]> arrays, Map<String, Double> scalars) {
        arrays.put(name, values.clone());
        arrays.put(name + "_first_moment", optimizer.firstMoment().clone());
        arrays.put(name + "_second_moment", optimizer.secondMoment().clone());
        scalars.put(name + "_updates", (double) optimizer.updates());
    }

    /** Copies the state saved under {@code name} back into {@code values} and {@code optimizer}. */
    public static void restore(Checkpoint from, Path file, String name, float[] values, AdamW optimizer) throws IOException {
        System.arraycopy(from.extraArray(file, name, values.length), 0, values, 0, values.length);
        System.arraycopy(from.extraArray(file, name + "_first_moment", values.length), 0, optimizer.firstMoment(), 0, values.length);
        System.arraycopy(from.extraArray(file, name + "_second_moment", values.length), 0, optimizer.secondMoment(), 0, values.length);
        optimizer.restore((long) from.extraValue(file, name + "_updates"));
    }
}
