package io.llama2j.server.metrics;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ServerMetricsTest {

    @Test
    void rendersPrometheusTextWithEveryCounterAndGauge() {
        ServerMetrics metrics = new ServerMetrics();
        metrics.bindScheduler(() -> 3, () -> 2, 4);
        metrics.requestCompleted("/v1/chat/completions", 200);
        metrics.requestCompleted("/v1/chat/completions", 200);
        metrics.requestCompleted("/v1/completions", 400);
        metrics.promptTokensProcessed(12);
        metrics.completionTokenGenerated();
        metrics.queueRejected();
        metrics.decodeStep(1);
        metrics.decodeStep(3);
        metrics.decodeStep(3);
        metrics.decodeStep(100);

        String text = metrics.render();

        assertThat(text).contains("# TYPE llama2j_requests_total counter")
                .contains("llama2j_requests_total{endpoint=\"/v1/chat/completions\",status=\"200\"} 2\n")
                .contains("llama2j_requests_total{endpoint=\"/v1/completions\",status=\"400\"} 1\n")
                .contains("llama2j_prompt_tokens_total 12\n")
                .contains("llama2j_completion_tokens_total 1\n")
                .contains("llama2j_queue_rejections_total 1\n")
                .contains("llama2j_queue_depth 3\n")
                .contains("llama2j_slots_busy 2\n")
                .contains("llama2j_slots_total 4\n")
                .contains("# TYPE llama2j_batch_size histogram\n")
                .contains("llama2j_batch_size_bucket{le=\"1\"} 1\nllama2j_batch_size_bucket{le=\"2\"} 1\n"
                        + "llama2j_batch_size_bucket{le=\"4\"} 3\n")
                .contains("llama2j_batch_size_bucket{le=\"64\"} 3\nllama2j_batch_size_bucket{le=\"+Inf\"} 4\n")
                .contains("llama2j_batch_size_sum 107\nllama2j_batch_size_count 4\n")
                .containsPattern("llama2j_generation_tokens_per_second \\d+\\.\\d{3}\n");
        for (String line : text.split("\n")) {
            assertThat(line).matches("# (HELP|TYPE) .*|[a-z0-9_]+(\\{[^}]*})? [0-9.]+");
        }
    }
}
