package io.llama2j.tensor;

/**
 * A matrix whose row r is row {@code sourceRow[r]} of another matrix, without copying. Used to
 * undo Hugging Face's q/k row permutation: rows stay contiguous in the source, so a per-row
 * {@link #dot} is the source's own fast dot.
 */
public final class RowPermutedTensor extends FloatTensor {
    private final FloatTensor source;
    private final int cols;
    private final int[] sourceRow;

    /** @param sourceRow a permutation of 0..rows-1, where rows = source.size() / cols */
    public RowPermutedTensor(FloatTensor source, int cols, int[] sourceRow) {
        if (cols <= 0 || source.size() != (long) cols * sourceRow.length) {
            throw new IllegalArgumentException("row permutation of " + sourceRow.length + " rows of " + cols
                    + " columns does not fit a tensor of " + source.size() + " elements");
        }
        boolean[] seen = new boolean[sourceRow.length];
        for (int r : sourceRow) {
            if (r < 0 || r >= seen.length || seen[r]) {
                throw new IllegalArgumentException("row map is not a permutation of 0.." + (seen.length - 1) + ": row " + r);
            }
            seen[r] = true;
        }
        this.source = source;
        this.cols = cols;
        this.sourceRow = sourceRow.clone();
    }

    @Override public GgmlType type() { return source.type(); }

    @Override public long size() { return source.size(); }

    private long sourceIndex(long index) {
        return (long) sourceRow[(int) (index / cols)] * cols + index % cols;
    }

    @Override public float getFloat(long index) {
        return source.getFloat(sourceIndex(index));
    }

    @Override public float dot(long offset, float[] x, int xOffset, int n) {
        float sum = 0f;
        while (n > 0) {
            int inRow = (int) Math.min(n, cols - offset % cols);
            sum += source.dot(sourceIndex(offset), x, xOffset, inRow);
            offset += inRow;
            xOffset += inRow;
            n -= inRow;
        }
        return sum;
    }

    @Override public void dequantize(long offset, float[] out, int outOffset, int n) {
        while (n > 0) {
            int inRow = (int) Math.min(n, cols - offset % cols);
            source.dequantize(sourceIndex(offset), out, outOffset, inRow);
            offset += inRow;
            outOffset += inRow;
            n -= inRow;
        }
    }
}
