package io.llama2j.lora;

import io.llama2j.model.LlamaConfig;

import java.util.EnumSet;
import java.util.Random;

/** Test fixture: LoRA adapters with seeded random A and B (B nonzero, unlike a fresh adapter). */
public final class RandomLora {
    private RandomLora() {}

    /** An adapter on {@code config}'s projections, elements N(0, 0.2²). */
    public static LoraAdapter adapter(LlamaConfig c, LoraConfig config, long seed) {
        Random r = new Random(seed);
        LoraWeights[][] w = new LoraWeights[LoraTarget.values().length][];
        for (LoraTarget t : config.targets()) {
            w[t.ordinal()] = new LoraWeights[c.nLayers()];
            for (int l = 0; l < c.nLayers(); l++) {
                LoraWeights z = LoraWeights.zeros(config.rank(), t.rows(c), t.columns(c));
                for (int i = 0; i < z.a().length; i++) z.a()[i] = (float) (r.nextGaussian() * 0.2);
                for (int i = 0; i < z.b().length; i++) z.b()[i] = (float) (r.nextGaussian() * 0.2);
                w[t.ordinal()][l] = z;
            }
        }
        return new LoraAdapter(config, c.nLayers(), w);
    }

    public static LoraConfig everyProjection(int rank, double alpha) {
        return new LoraConfig(rank, alpha, 0, EnumSet.allOf(LoraTarget.class));
    }

}
