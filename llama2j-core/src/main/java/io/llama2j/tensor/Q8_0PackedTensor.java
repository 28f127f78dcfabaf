package io.llama2j.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.llama2j.tensor.Vectors.F;
import static io.llama2j.tensor.Vectors.L;

/**
 * Q8_0 weights copied, at load time, into two heap arrays: the int8 values back to back and the
 * block scales as float32 (the same values as the file's {@link Q8_0Tensor}, bit for bit).
 *
 * <p>Why: the file's 34-byte blocks put an fp16 scale between every 32 values, so the kernel
 * converts a scale per block and reads values at addresses that drift across cache lines; and a
 * memory-mapped file gets 4 KB pages. Here the values of 2 blocks fill one cache line, the scale
 * is a plain float, and the heap gets 2 MB pages from the launcher's
 * {@code -XX:+UseTransparentHugePages}: generation on the 7B shape ran 2.2× faster than from
 * the mapped file (3.68 against 1.71 tokens/s, BENCHMARKS.md "Speed").
 *
 * <p>Generation multiplies it with 8-bit activations ({@link #dotQ8}); {@link #dot} serves float
 * activations. Only for 16-lane (AVX-512) vectors and rows of whole blocks: {@link #canPack}.
 */
public final class Q8_0PackedTensor extends FloatTensor {
    private static final int BLOCK = Q8_0Tensor.BLOCK;
    /** 16 bytes, widened to the 16 float lanes of F. */
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;

    private final byte[] values;
    private final float[] scales;

    private Q8_0PackedTensor(byte[] values, float[] scales) {
        this.values = values;
        this.scales = scales;
    }

    /** Whether {@code tensor}, a matrix with rows of {@code cols}, can be packed on this machine. */
    public static boolean canPack(Q8_0Tensor tensor, long cols) {
        return Vectors.ENABLED && L == 16 && cols % BLOCK == 0 && tensor.size() % cols == 0
                && tensor.size() <= Integer.MAX_VALUE - 16;
    }

    /** Bytes the packed copy of {@code elements} values takes on the heap. */
    public static long packedBytes(long elements) {
        return elements + elements / BLOCK * Float.BYTES;
    }

    /** Copies {@code source} into the packed layout, blocks shared out over {@code parallel}'s threads. */
    public static Q8_0PackedTensor pack(Q8_0Tensor source, long cols, Parallel parallel) {
        if (!canPack(source, cols)) throw new IllegalArgumentException("Q8_0 tensor of " + source.size() + " values in rows of " + cols + " cannot be packed here");
        int blocks = (int) (source.size() / BLOCK);
        byte[] values = new byte[blocks * BLOCK];
        float[] scales = new float[blocks];
        MemorySegment data = source.data;
        parallel.forChunks(blocks, 4096, (start, end) -> {
            for (int b = start; b < end; b++) {
                long at = (long) b * Q8_0Tensor.BYTES;
                scales[b] = source.half(at);
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, at + 2, values, b * BLOCK, BLOCK);
            }
        });
        return new Q8_0PackedTensor(values, scales);
    }

    @Override public GgmlType type() { return GgmlType.Q8_0; }

    @Override public long size() { return values.length; }

    @Override public float getFloat(long index) {
        return values[(int) index] * scales[(int) (index / BLOCK)];
    }

    /**
     * Σ this[offset + i] · x[xOffset + i]: per block, two 16-value halves widened to float and
     * multiply-added with x, then one multiply-add with the block's scale into one of two
     * accumulators (even and odd blocks). Written out twice for the reason given at
     * {@link Q4_0Tensor#dot}.
     */
    @Override public float dot(long offset, float[] x, int xOffset, int n) {
        if (offset % BLOCK != 0 || n % BLOCK != 0) return dotByElements(offset, x, xOffset, n);
        FloatVector even = FloatVector.zero(F), odd = even;
        int first = (int) offset, blocks = n / BLOCK;
        for (int b = 0; b < blocks; b += 2) {
            int vi = first + b * BLOCK, xi = xOffset + b * BLOCK;
            FloatVector s0 = ((FloatVector) ByteVector.fromArray(B16, values, vi).convertShape(VectorOperators.B2F, F, 0))
                    .mul(FloatVector.fromArray(F, x, xi));
            s0 = ((FloatVector) ByteVector.fromArray(B16, values, vi + 16).convertShape(VectorOperators.B2F, F, 0))
                    .fma(FloatVector.fromArray(F, x, xi + 16), s0);
            even = s0.fma(FloatVector.broadcast(F, scales[vi / BLOCK]), even);
            if (b + 1 == blocks) break;
            FloatVector s1 = ((FloatVector) ByteVector.fromArray(B16, values, vi + 32).convertShape(VectorOperators.B2F, F, 0))
                    .mul(FloatVector.fromArray(F, x, xi + 32));
            s1 = ((FloatVector) ByteVector.fromArray(B16, values, vi + 48).convertShape(VectorOperators.B2F, F, 0))
                    .fma(FloatVector.fromArray(F, x, xi + 48), s1);
            odd = s1.fma(FloatVector.broadcast(F, scales[vi / BLOCK + 1]), odd);
        }
        return Vectors.sum(even.add(odd));
    }

    /** A whole block of bytes (256 bits) and of shorts (512 bits), for {@link #dotQ8}. */
    private static final VectorSpecies<Byte> BLOCK_BYTES = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> BLOCK_SHORTS = ShortVector.SPECIES_512;

    /**
     * Σ this[offset + i] · x[i] for i in [0, n) with x quantized to Q8_0 blocks: the integer
     * products of {@link Q8_0Tensor#dotQ8}, operation for operation (so the two layouts give the
     * same bits), reading this layout's arrays. The generation kernel: against
     * {@link #dot} on the activations' float values, it streamed a 7B model's W2 (11008 columns:
     * 44 KB of floats against a 32 KB L1, 11 KB of bytes) from memory at 34 GB/s instead of 20
     * on two threads, and the 4096-column matrices at the same 38.
     */
    public float dotQ8(long offset, Q8Activations x, int n) {
        if (offset % BLOCK != 0 || n % BLOCK != 0) throw new IllegalArgumentException("8-bit product of " + n + " values at " + offset + " is not in whole blocks");
        byte[] w = values, q = x.values;
        float[] xd = x.scales;
        int first = (int) offset, blocks = n / BLOCK;
        FloatVector even = FloatVector.zero(F), odd = even;
        for (int b = 0; b < blocks; b += 2) {
            int vi = first + b * BLOCK, qi = b * BLOCK;
            IntVector p0 = ((ShortVector) ByteVector.fromArray(BLOCK_BYTES, w, vi).convertShape(VectorOperators.B2S, BLOCK_SHORTS, 0))
                    .mul((ShortVector) ByteVector.fromArray(BLOCK_BYTES, q, qi).convertShape(VectorOperators.B2S, BLOCK_SHORTS, 0)).reinterpretAsInts();
            IntVector s0 = p0.lanewise(VectorOperators.ASHR, Short.SIZE)
                    .add(p0.lanewise(VectorOperators.LSHL, Short.SIZE).lanewise(VectorOperators.ASHR, Short.SIZE));
            even = ((FloatVector) s0.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, scales[vi / BLOCK] * xd[b]), even);
            if (b + 1 == blocks) break;
            IntVector p1 = ((ShortVector) ByteVector.fromArray(BLOCK_BYTES, w, vi + BLOCK).convertShape(VectorOperators.B2S, BLOCK_SHORTS, 0))
                    .mul((ShortVector) ByteVector.fromArray(BLOCK_BYTES, q, qi + BLOCK).convertShape(VectorOperators.B2S, BLOCK_SHORTS, 0)).reinterpretAsInts();
            IntVector s1 = p1.lanewise(VectorOperators.ASHR, Short.SIZE)
                    .add(p1.lanewise(VectorOperators.LSHL, Short.SIZE).lanewise(VectorOperators.ASHR, Short.SIZE));
            odd = ((FloatVector) s1.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, scales[vi / BLOCK + 1] * xd[b + 1]), odd);
        }
        return Vectors.sum(even.add(odd));
    }

    /** Values [offset, offset + n) as floats, bit-identical to {@link Q8_0Tensor#dequantize} (q · d in both). */
    @Override public void dequantize(long offset, float[] out, int outOffset, int n) {
        int o = outOffset;
        long i = offset, end = offset + n;
        while (i < end) {
            if (i % BLOCK == 0 && end - i >= BLOCK) {
                float d = scales[(int) (i / BLOCK)];
                for (int j = 0; j < BLOCK; j += 16) {
                    ((FloatVector) ByteVector.fromArray(B16, values, (int) i + j).convertShape(VectorOperators.B2F, F, 0))
                            .mul(d).intoArray(out, o + j);
                }
                i += BLOCK;
                o += BLOCK;
            } else {
                out[o++] = getFloat(i++);
            }
        }
    }
}
