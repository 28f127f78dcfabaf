package io.llama2j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import static io.llama2j.tensor.Vectors.F;
import static io.llama2j.tensor.Vectors.I;
import static io.llama2j.tensor.Vectors.L;

/**
 * Q4_0 weights copied, at load time, into the layout that the generation kernel reads fastest
 * (the same values as the file's {@link Q4_0Tensor}, bit for bit).
 *
 * <p>Why: in the file's layout a block's 16 nibble bytes must be widened to 16 int lanes one
 * block at a time, and its fp16 scale converted, before any arithmetic; on AVX-512 that kept the
 * kernel at about a third of the memory bandwidth. Here each group of 4 consecutive blocks (128
 * values) is one 64-byte vector of 16 int lanes, where lane i holds byte i of the 4 blocks, block
 * j in bits 8j..8j+7. So nibble k of lane i (bits 4k..4k+3) is value 16k + i of the group: the
 * low nibble of byte i of block k/2 when k is even, its high nibble when k is odd. One load gives
 * the whole group; shifting it right by 4k and looking the low 4 bits up in a 16-entry table of
 * the floats nibble − 8 (one {@code vpermd}: it reads only those bits) gives 16 consecutive
 * weights, with no mask, no subtraction and no int-to-float conversion. Scales are kept as
 * float32. The copy lives on the Java heap, where the launcher's
 * {@code -XX:+UseTransparentHugePages} gives it 2 MB pages (fewer TLB misses while streaming).
 *
 * <p>Only for 16-lane (AVX-512) vectors and rows of whole groups: {@link #canPack}.
 */
public final class Q4_0PackedTensor extends FloatTensor {
    /** Values per group: 4 blocks of 32. */
    public static final int GROUP = 4 * Q4_0Tensor.BLOCK;
    /** Ints per group: 64 bytes. */
    private static final int GROUP_INTS = GROUP / 8;

    /** The floats nibble − 8, as int bits, for {@code selectFrom}. */
    private static final IntVector NIBBLE_VALUES = L == 16 ? IntVector.fromArray(I, nibbleValues(), 0) : null;

    private final int[] nibbles;
    private final float[] scales;
    private final long size;

    private Q4_0PackedTensor(int[] nibbles, float[] scales, long size) {
        this.nibbles = nibbles;
        this.scales = scales;
        this.size = size;
    }

    /** Whether {@code tensor}, a matrix with rows of {@code cols}, can be packed on this machine. */
    public static boolean canPack(Q4_0Tensor tensor, long cols) {
        return Vectors.ENABLED && L == 16 && cols % GROUP == 0 && tensor.size() % cols == 0
                && tensor.size() / 8 <= Integer.MAX_VALUE - 16;
    }

    /** Bytes the packed copy of {@code elements} values takes on the heap. */
    public static long packedBytes(long elements) {
        return elements / 2 + elements / Q4_0Tensor.BLOCK * Float.BYTES;
    }

    /** Copies {@code source} into the packed layout, groups shared out over {@code parallel}'s threads. */
    public static Q4_0PackedTensor pack(Q4_0Tensor source, long cols, Parallel parallel) {
        if (!canPack(source, cols)) throw new IllegalArgumentException("Q4_0 tensor of " + source.size() + " values in rows of " + cols + " cannot be packed here");
        int groups = (int) (source.size() / GROUP);
        int[] nibbles = new int[groups * GROUP_INTS];
        float[] scales = new float[groups * 4];
        parallel.forChunks(groups, 1024, (start, end) -> packGroups(source, start, end, nibbles, scales));
        return new Q4_0PackedTensor(nibbles, scales, source.size());
    }

    /**
     * Groups [start, end) of {@code source} into {@code nibbles} and {@code scales}: lane i of a
     * group is byte i of its 4 blocks, read 8 bytes at a time. Scalar code on purpose: it runs
     * once per model, mostly before the JIT has compiled it, and the interpreter runs Vector API
     * code about a hundred times slower than plain arithmetic (the first 7B matrix took 0.8 s).
     */
    private static void packGroups(Q4_0Tensor source, int start, int end, int[] nibbles, float[] scales) {
        long[] halves = new long[8]; // bytes 0-7 and 8-15 of each of the 4 blocks
        for (int g = start; g < end; g++) {
            for (int j = 0; j < 4; j++) {
                long at = (4L * g + j) * Q4_0Tensor.BYTES;
                scales[4 * g + j] = source.half(at);
                halves[j] = source.data.get(Vectors.LONG_LE, at + 2);
                halves[4 + j] = source.data.get(Vectors.LONG_LE, at + 10);
            }
            int lane = g * GROUP_INTS;
            for (int half = 0; half < 2; half++) {
                long b0 = halves[4 * half], b1 = halves[4 * half + 1], b2 = halves[4 * half + 2], b3 = halves[4 * half + 3];
                for (int i = 0; i < 8; i++, lane++) {
                    int shift = 8 * i;
                    nibbles[lane] = (int) (b0 >>> shift) & 0xFF | ((int) (b1 >>> shift) & 0xFF) << 8
                            | ((int) (b2 >>> shift) & 0xFF) << 16 | ((int) (b3 >>> shift) & 0xFF) << 24;
                }
            }
        }
    }

    private static int[] nibbleValues() {
        int[] values = new int[16];
        for (int n = 0; n < 16; n++) values[n] = Float.floatToIntBits(n - Q4_0Tensor.ZERO_POINT);
        return values;
    }

    @Override public GgmlType type() { return GgmlType.Q4_0; }

    @Override public long size() { return size; }

    private int nibble(long index) {
        int group = (int) (index / GROUP), within = (int) (index % GROUP);
        int block = within / Q4_0Tensor.BLOCK, j = within % Q4_0Tensor.BLOCK;
        int lane = j % 16, high = j / 16;
        return (nibbles[group * GROUP_INTS + lane] >>> (8 * block + 4 * high)) & 0x0F;
    }

    @Override public float getFloat(long index) {
        return (nibble(index) - Q4_0Tensor.ZERO_POINT) * scales[(int) (index / Q4_0Tensor.BLOCK)];
    }

    /**
     * Σ this[offset + i] · x[xOffset + i]. Per group: one load, then for each block its two
     * 16-value halves (shift, table lookup, multiply-add with x) and one multiply-add with the
     * block's scale into one of two accumulators (even and odd blocks), so that consecutive
     * blocks do not wait on each other. Written out in full for the reason given at
     * {@link Q4_0Tensor#dot}.
     */
    @Override public float dot(long offset, float[] x, int xOffset, int n) {
        if (offset % GROUP != 0 || n % GROUP != 0) return dotByElements(offset, x, xOffset, n);
        IntVector table = NIBBLE_VALUES;
        FloatVector even = FloatVector.zero(F), odd = even;
        int first = (int) (offset / GROUP), groups = n / GROUP;
        for (int g = 0; g < groups; g++) {
            IntVector v = IntVector.fromArray(I, nibbles, (first + g) * GROUP_INTS);
            int xi = xOffset + g * GROUP, si = (first + g) * 4;
            FloatVector s0 = v.selectFrom(table).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xi));
            s0 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(table).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xi + 16), s0);
            even = s0.fma(FloatVector.broadcast(F, scales[si]), even);
            FloatVector s1 = v.lanewise(VectorOperators.LSHR, 8).selectFrom(table).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xi + 32));
            s1 = v.lanewise(VectorOperators.LSHR, 12).selectFrom(table).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xi + 48), s1);
            odd = s1.fma(FloatVector.broadcast(F, scales[si + 1]), odd);
            FloatVector s2 = v.lanewise(VectorOperators.LSHR, 16).selectFrom(table).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xi + 64));
            s2 = v.lanewise(VectorOperators.LSHR, 20).selectFrom(table).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xi + 80), s2);
            even = s2.fma(FloatVector.broadcast(F, scales[si + 2]), even);
            FloatVector s3 = v.lanewise(VectorOperators.LSHR, 24).selectFrom(table).reinterpretAsFloats().mul(FloatVector.fromArray(F, x, xi + 96));
            s3 = v.lanewise(VectorOperators.LSHR, 28).selectFrom(table).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xi + 112), s3);
            odd = s3.fma(FloatVector.broadcast(F, scales[si + 3]), odd);
        }
        return Vectors.sum(even.add(odd));
    }

    /**
     * Values [offset, offset + n) as floats, bit-identical to {@link Q4_0Tensor#dequantize}
     * ((nibble − 8) · d in both); whole blocks are looked up 16 at a time.
     */
    @Override public void dequantize(long offset, float[] out, int outOffset, int n) {
        int o = outOffset;
        long i = offset, end = offset + n;
        IntVector table = NIBBLE_VALUES;
        while (i < end) {
            if (i % Q4_0Tensor.BLOCK == 0 && end - i >= Q4_0Tensor.BLOCK) {
                int block = (int) (i / Q4_0Tensor.BLOCK);
                IntVector v = IntVector.fromArray(I, nibbles, block / 4 * GROUP_INTS).lanewise(VectorOperators.LSHR, 8 * (block % 4));
                float d = scales[block];
                v.selectFrom(table).reinterpretAsFloats().mul(d).intoArray(out, o);
                v.lanewise(VectorOperators.LSHR, 4).selectFrom(table).reinterpretAsFloats().mul(d).intoArray(out, o + 16);
                i += Q4_0Tensor.BLOCK;
                o += Q4_0Tensor.BLOCK;
            } else {
                out[o++] = getFloat(i++);
            }
        }
    }
}
