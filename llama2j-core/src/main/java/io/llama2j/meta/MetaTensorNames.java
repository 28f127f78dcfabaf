package io.llama2j.meta;

/**
 * Meta's tensor names (llama/model.py) and how its model parallelism splits each one across
 * consolidated.NN.pth shards: ColumnParallelLinear (wq, wk, wv, w1, w3, output) splits the
 * output dimension (dim 0, rows), RowParallelLinear (wo, w2) and ParallelEmbedding
 * (tok_embeddings) split dim 1 (columns), and RMSNorm weights are replicated.
 */
final class MetaTensorNames {
    private MetaTensorNames() {}

    enum Split { ROWS, COLUMNS, REPLICATED }

    static final String EMBEDDING = "tok_embeddings.weight";
    static final String OUTPUT_NORM = "norm.weight";
    static final String OUTPUT = "output.weight";
    static final String ATTENTION_NORM = "attention_norm";
    static final String WQ = "attention.wq";
    static final String WK = "attention.wk";
    static final String WV = "attention.wv";
    static final String WO = "attention.wo";
    static final String FFN_NORM = "ffn_norm";
    static final String W1 = "feed_forward.w1";
    static final String W2 = "feed_forward.w2";
    static final String W3 = "feed_forward.w3";

    static String layer(int layer, String suffix) {
        return "layers." + layer + "." + suffix + ".weight";
    }

    static Split splitOf(String name) {
        if (name.equals(EMBEDDING) || name.endsWith(WO + ".weight") || name.endsWith(W2 + ".weight")) return Split.COLUMNS;
        if (name.endsWith("norm.weight")) return Split.REPLICATED;
        return Split.ROWS;
    }
}
