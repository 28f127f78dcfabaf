package io.llama2j.hf;

import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.RowPermutedTensor;

/**
 * Hugging Face's q_proj/k_proj row order. Meta's RoPE rotates interleaved pairs (2i, 2i+1) of
 * each head; Transformers' rotate_half rotates (i, i + headSize/2). Its converter
 * (convert_llama_weights_to_hf.py, permute()) therefore reorders each head's rows:
 * {@code w.view(heads, headSize/2, 2, in).transpose(1, 2)}, i.e. HF row h·hs + j·hs/2 + i holds
 * Meta row h·hs + 2i + j. For k_proj the head count is num_key_value_heads (GQA).
 */
public final class HfRopePermutation {
    private HfRopePermutation() {}

    /** For each Meta-layout row, the HF row that holds it. */
    static int[] hfRowOfMetaRow(int heads, int rows) {
        int headSize = rows / heads, half = headSize / 2;
        int[] map = new int[rows];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    map[h * headSize + 2 * i + j] = h * headSize + j * half + i;
                }
            }
        }
        return map;
    }

    /** For each HF-layout row, the Meta row that it holds (the inverse map). */
    static int[] metaRowOfHfRow(int heads, int rows) {
        int[] toHf = hfRowOfMetaRow(heads, rows);
        int[] inverse = new int[rows];
        for (int m = 0; m < rows; m++) inverse[toHf[m]] = m;
        return inverse;
    }

    /** An HF-layout q or k matrix seen in Meta's layout (a view, no copy). */
    public static FloatTensor toMeta(FloatTensor hf, int heads, int rows, int cols) {
        return new RowPermutedTensor(hf, cols, hfRowOfMetaRow(heads, rows));
    }

    /** A Meta-layout q or k matrix seen in HF's layout, as HF's converter writes it. */
    public static FloatTensor toHf(FloatTensor meta, int heads, int rows, int cols) {
        return new RowPermutedTensor(meta, cols, metaRowOfHfRow(heads, rows));
    }
}
