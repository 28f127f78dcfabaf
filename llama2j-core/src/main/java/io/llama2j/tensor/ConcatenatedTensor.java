package io.llama2j.tensor;

import java.util.List;

/**
 * Matrices joined along rows (dim 0) or columns (dim 1) without copying: how Meta's
 * model-parallel shards (ColumnParallelLinear split on dim 0, RowParallelLinear and
 * ParallelEmbedding on dim 1) are seen as one weight. Every part has the same storage type.
 * A dot over a whole row is the sum of the parts' dots over their pieces of it.
 */
public final class ConcatenatedTensor extends FloatTensor {
    private final FloatTensor[] parts;
    private final boolean alongColumns;
    private final long rows;
    private final long cols;
    /** alongColumns: first column of each part; along rows: first element of each part. Plus the end. */
    private final long[] starts;

    private ConcatenatedTensor(FloatTensor[] parts, boolean alongColumns, long rows, long cols, long[] starts) {
        this.parts = parts;
        this.alongColumns = alongColumns;
        this.rows = rows;
        this.cols = cols;
        this.starts = starts;
    }

    /** Parts stacked on top of each other (dim 0); each holds whole rows of {@code cols} elements. */
    public static FloatTensor ofRows(List<? extends FloatTensor> parts, long cols) {
        checkTypes(parts);
        long[] starts = new long[parts.size() + 1];
        for (int i = 0; i < parts.size(); i++) {
            long size = parts.get(i).size();
            if (size % cols != 0) {
                throw new IllegalArgumentException("part " + i + " has " + size + " elements, not whole rows of " + cols);
            }
            starts[i + 1] = starts[i] + size;
        }
        if (parts.size() == 1) return parts.getFirst();
        return new ConcatenatedTensor(parts.toArray(FloatTensor[]::new), false, starts[parts.size()] / cols, cols, starts);
    }

    /** Parts side by side (dim 1); each has {@code rows} rows of its own width. */
    public static FloatTensor ofColumns(List<? extends FloatTensor> parts, long rows) {
        checkTypes(parts);
        long[] starts = new long[parts.size() + 1];
        for (int i = 0; i < parts.size(); i++) {
            long size = parts.get(i).size();
            if (size % rows != 0) {
                throw new IllegalArgumentException("part " + i + " has " + size + " elements, not " + rows + " whole rows");
            }
            starts[i + 1] = starts[i] + size / rows;
        }
        if (parts.size() == 1) return parts.getFirst();
        return new ConcatenatedTensor(parts.toArray(FloatTensor[]::new), true, rows, starts[parts.size()], starts);
    }

    private static void checkTypes(List<? extends FloatTensor> parts) {
        if (parts.isEmpty()) throw new IllegalArgumentException("nothing to concatenate");
        for (FloatTensor p : parts) {
            if (p.type() != parts.getFirst().type()) {
                throw new IllegalArgumentException("cannot concatenate " + parts.getFirst().type() + " and " + p.type() + " tensors");
            }
        }
    }

    @Override public GgmlType type() { return parts[0].type(); }

    @Override public long size() { return rows * cols; }

    /** Index of the part holding key (an element index along rows, a column along columns). */
    private int partOf(long key) {
        int lo = 0, hi = parts.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= key) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    @Override public float getFloat(long index) {
        if (!alongColumns) {
            int p = partOf(index);
            return parts[p].getFloat(index - starts[p]);
        }
        long row = index / cols, col = index % cols;
        int p = partOf(col);
        long width = starts[p + 1] - starts[p];
        return parts[p].getFloat(row * width + col - starts[p]);
    }

    /** Applies {@code op} to maximal runs of [offset, offset + n) that lie in one part. */
    private interface Span { void apply(FloatTensor part, long partOffset, int bufferOffset, int n); }

    private void forEachSpan(long offset, int n, Span op) {
        int done = 0;
        while (done < n) {
            long index = offset + done;
            int p;
            long partOffset, remainingInPart;
            if (!alongColumns) {
                p = partOf(index);
                partOffset = index - starts[p];
                remainingInPart = starts[p + 1] - index;
            } else {
                long row = index / cols, col = index % cols;
                p = partOf(col);
                long width = starts[p + 1] - starts[p];
                partOffset = row * width + col - starts[p];
                remainingInPart = starts[p + 1] - col;
            }
            int len = (int) Math.min(n - done, remainingInPart);
            op.apply(parts[p], partOffset, done, len);
            done += len;
        }
    }

    @Override public float dot(long offset, float[] x, int xOffset, int n) {
        float[] sum = {0f};
        forEachSpan(offset, n, (part, partOffset, at, len) -> sum[0] += part.dot(partOffset, x, xOffset + at, len));
        return sum[0];
    }

    @Override public void dequantize(long offset, float[] out, int outOffset, int n) {
        forEachSpan(offset, n, (part, partOffset, at, len) -> part.dequantize(partOffset, out, outOffset + at, len));
    }
}
