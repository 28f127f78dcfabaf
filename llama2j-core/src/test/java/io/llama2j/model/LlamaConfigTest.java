package io.llama2j.model;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LlamaConfigTest {

    @Test
    void ffnSizingReproducesTheLlama2Shapes() {
        // LLAMA2.md section 3: 7B 11008, 13B 13824, 70B 28672 (and 28416 with multiple_of 256).
        assertThat(LlamaConfig.ffnHiddenDim(4096, 256, null)).isEqualTo(11008);
        assertThat(LlamaConfig.ffnHiddenDim(5120, 256, null)).isEqualTo(13824);
        assertThat(LlamaConfig.ffnHiddenDim(8192, 4096, 1.3)).isEqualTo(28672);
        assertThat(LlamaConfig.ffnHiddenDim(8192, 256, 1.3)).isEqualTo(28416);
    }

    @Test
    void groupedQueryAttentionShapes() {
        LlamaConfig c70b = new LlamaConfig(8192, 28672, 80, 64, 8, 32000, 4096, 1e-5f, 10000f);
        assertThat(c70b.headSize()).isEqualTo(128);
        assertThat(c70b.kvDim()).isEqualTo(1024);
        assertThat(c70b.kvGroupSize()).isEqualTo(8);
    }

    @Test
    void inconsistentShapesAreRejectedWithTheFieldNamed() {
        assertThatThrownBy(() -> new LlamaConfig(64, 172, 5, 8, 3, 512, 512, 1e-5f, 10000f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("n_kv_heads 3");
        assertThatThrownBy(() -> new LlamaConfig(64, 172, 0, 8, 4, 512, 512, 1e-5f, 10000f))
                .hasMessageContaining("n_layers");
        assertThatThrownBy(() -> new LlamaConfig(64, 172, 5, 8, 4, 512, 512, 0f, 10000f))
                .hasMessageContaining("rms_norm_eps");
    }
}
