package io.llama2j.lora;

import java.util.EnumSet;
import java.util.Set;

/**
 * The shape of a LoRA adapter (Hu et al. 2021, "LoRA", §4.1): rank r, scaling α (the update is
 * (α/r)·B·A, or α/√r with rank-stabilized LoRA, Kalajdzievski 2023), the projections it adapts,
 * and the dropout applied to the adapter's input while training. PEFT's adapter_config.json
 * fields r, lora_alpha, lora_dropout, target_modules, use_rslora.
 *
 * @param rank     r, at least 1
 * @param alpha    α, positive
 * @param dropout  probability of zeroing an input element of the adapter path in training, in [0, 1)
 * @param targets  projections carrying an adapter (at least one)
 * @param rankStabilized scale α/√r instead of α/r
 */
public record LoraConfig(int rank, double alpha, double dropout, Set<LoraTarget> targets, boolean rankStabilized) {
    /** QLoRA's (Dettmers et al. 2023) and many PEFT recipes' rank. */
    public static final int DEFAULT_RANK = 8;
    /** α = 2r, the common PEFT recipe. */
    public static final double DEFAULT_ALPHA = 16;
    /** LoRA paper's dropout on the adapter input for small data sets. */
    public static final double DEFAULT_DROPOUT = 0.05;
    /** The LoRA paper's choice (§7.1): the attention projections. */
    public static final Set<LoraTarget> DEFAULT_TARGETS = java.util.Collections.unmodifiableSet(EnumSet.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O));

    public LoraConfig {
        if (rank < 1) throw new IllegalArgumentException("LoRA rank r must be at least 1, found " + rank);
        if (!(alpha > 0) || !Double.isFinite(alpha)) throw new IllegalArgumentException("LoRA alpha must be positive, found " + alpha);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("LoRA dropout must be in [0, 1), found " + dropout);
        if (targets == null || targets.isEmpty()) throw new IllegalArgumentException("LoRA needs at least one target module");
        targets = java.util.Collections.unmodifiableSet(EnumSet.copyOf(targets)); // iterates in layer order (q, k, v, o, gate, up, down)
    }

    public LoraConfig(int rank, double alpha, double dropout, Set<LoraTarget> targets) {
        this(rank, alpha, dropout, targets, false);
    }

    public static LoraConfig defaults() {
        return new LoraConfig(DEFAULT_RANK, DEFAULT_ALPHA, DEFAULT_DROPOUT, DEFAULT_TARGETS);
    }

    /** The factor of B·A in W + scale·B·A. */
    public float scale() {
        return (float) (rankStabilized ? alpha / Math.sqrt(rank) : alpha / rank);
    }
}
