package io.llama2j.tensor;

/**
 * A read-only tensor of real numbers in some storage type (float32, float16, a ggml block
 * quantization...), usually a slice of a memory-mapped weight file. Every storage type reads
 * and multiplies its own blocks directly: nothing dequantizes a whole tensor.
 *
 * <p>Matrices are row-major with rows of {@code cols} contiguous elements, [out, in], which is
 * the layout of GGUF (ne[0] = in), safetensors, PyTorch and llama2.c alike: a matrix-vector
 * product is one {@link #dot} per row.
 */
public abstract class FloatTensor {

    /** Storage type of the elements. */
    public abstract GgmlType type();

    /** Number of elements. */
    public abstract long size();

    /**
     * Bytes the elements take in storage (what a tensor table shows). The default is the ggml
     * block size of {@link #type()}; formats with another layout override it.
     */
    public long byteSize() {
        return type().byteSize(size());
    }

    /** Element {@code index}, dequantized (the scalar reference; slow). */
    public abstract float getFloat(long index);

    /**
     * Σ this[offset + i] · x[xOffset + i] for i in [0, n). {@code offset} and {@code n} are
     * multiples of the type's block size (rows of a weight matrix always are).
     */
    public abstract float dot(long offset, float[] x, int xOffset, int n);

    /**
     * Σ getFloat(offset + i) · x[xOffset + i], element by element: the slow path of layouts whose
     * fast kernel needs whole groups (a range that starts or ends inside one).
     */
    protected final float dotByElements(long offset, float[] x, int xOffset, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) sum += getFloat(offset + i) * x[xOffset + i];
        return sum;
    }

    /** Writes elements [offset, offset + n) as floats into {@code out} from {@code outOffset}. */
    public void dequantize(long offset, float[] out, int outOffset, int n) {
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = getFloat(offset + i);
        }
    }
}
