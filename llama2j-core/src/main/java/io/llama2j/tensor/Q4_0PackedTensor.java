package io.llama2j.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.util.concurrent.atomic.AtomicBoolean;

import static io.llama2j.tensor.Vectors.BYTES_OF_SHORTS;
import static io.llama2j.tensor.Vectors.F;
import static io.llama2j.tensor.Vectors.L;
import static io.llama2j.tensor.Vectors.SHORTS;

/**
 * Q4_0 weights copied, at load time, into the layout of the generation kernel {@link #dotQ8}:
 * tiles of 32 blocks, one block per 16-bit lane, multiplied by 8-bit activations as integers.
 *
 * <p>Why: generation reads every weight once per token, so the kernel must keep up with memory
 * on one core. In the file's layout (one 18-byte block after the other) each block costs a
 * widening, a table lookup per 16 values and float multiply-adds: about 27 vector operations per
 * 128 weights, which held one core to 60% of what it can stream. Here one 64-byte load holds 4
 * consecutive values of each of 32 blocks (lane b: values 4v..4v+3 of block b, 4 bits each); a
 * shift and a mask give one value of all 32 blocks, one 16-bit multiply by the 32 matching
 * activations (loaded as bytes and widened) and one add accumulate them: 20 operations per 128
 * weights. Each lane's sum is a
 * block's integer dot product Σ (nibble − 8) · q, which fits in 16 bits (|Σ| ≤ 32 · 8 · 127 =
 * 32512), so the wrapping 16-bit adds are exact, with the zero point entering as −8 · Σq (kept by
 * {@link Q8Activations}) in the accumulator's start value. After 32 values the 32 sums are
 * widened to floats and scaled by their blocks' d_w · d_x: llama.cpp's {@code
 * ggml_vec_dot_q4_0_q8_0}, up to the order of the float additions.
 *
 * <p>After {@link #LEADING_SHORTS} shorts of padding (alignment), a row of {@code cols} values is
 * ⌈cols / 1024⌉ tiles of 288 shorts (576 bytes, as many as the file's 32 blocks take): 8 vectors of
 * values, then the 32 block scales as the file's fp16 bits. Blocks sit in the lanes in the order 0,
 * 16, 1, 17, ..., 15, 31 (block b in lane {@link #lane}(b)), so that a vector's 16-bit lanes, read
 * as 32-bit ones, hold blocks 0-15 in their low halves and blocks 16-31 in their high halves: a
 * shift splits both the sums and the scales into the natural block order of the activations'
 * scales, with no shuffle. A last tile that is not full has zero values and zero scales in its
 * missing blocks, which therefore add nothing. The copy lives on the Java heap, where the
 * launcher's {@code -XX:+UseTransparentHugePages} gives it 2 MB pages.
 *
 * <p>Float activations ({@link #dot}, {@link #dequantize}, {@link #getFloat}: the exact path
 * and prompt batches) read the {@link Q4_0Tensor} this was packed from, whose layout suits them.
 * Only for 16-lane (AVX-512) vectors: {@link #canPack}.
 */
public final class Q4_0PackedTensor extends FloatTensor {
    /** Blocks per tile: one per 16-bit lane of a 512-bit vector. */
    public static final int TILE_BLOCKS = 32;
    /** Values per tile. */
    public static final int TILE_VALUES = TILE_BLOCKS * Q4_0Tensor.BLOCK;
    /** Shorts per tile: 8 vectors of 32 lanes of 4 values, then 32 fp16 scales. */
    static final int TILE_SHORTS = TILE_VALUES / 4 + TILE_BLOCKS;
    /** Offset of the scales in a tile, in shorts. */
    private static final int SCALES_AT = TILE_VALUES / 4;

    /**
     * Shorts before the first tile, so that every tile's vectors start 64-byte cache lines: a
     * 64-byte load that straddles two lines costs two cache accesses, and when the tiles stream
     * from memory it shows. Generation on the 7B shape ran 9% faster with aligned tiles than with
     * tiles 16 bytes into a line (no leading shorts; the same model packed both ways in one
     * process, alternating, 13 rounds: 0.87 to 0.96 of the time). Java does not show an array's
     * address, so this counts on how HotSpot's G1 collector, the JVM's default, places an array
     * as large as a weight matrix (a "humongous" object, half a heap region or more; the
     * launcher fixes regions at 2 MB): at the start of a region, its values after a 16-byte
     * header. Where that does not hold (another collector, -XX:+UseCompactObjectHeaders, a tiny
     * model's small arrays), the tiles are merely unaligned: slower, with the same results.
     */
    static final int LEADING_SHORTS = (64 - 16) / Short.BYTES;

    private final Q4_0Tensor source;
    private final short[] tiles;
    private final int cols;
    private final int tilesPerRow;

    private Q4_0PackedTensor(Q4_0Tensor source, short[] tiles, int cols) {
        this.source = source;
        this.tiles = tiles;
        this.cols = cols;
        this.tilesPerRow = tilesPerRow(cols);
    }

    /** The lane of a tile that holds its block b (0, 16, 1, 17, ...: see the class comment). */
    static int lane(int block) {
        return block < TILE_BLOCKS / 2 ? 2 * block : 2 * (block - TILE_BLOCKS / 2) + 1;
    }

    private static int tilesPerRow(long cols) {
        return (int) Math.ceilDiv(cols, TILE_VALUES);
    }

    /** Whether {@code tensor}, a matrix with rows of {@code cols}, can be packed on this machine. */
    public static boolean canPack(Q4_0Tensor tensor, long cols) {
        return Q8Activations.vectorKernels() && cols > 0 && cols % Q4_0Tensor.BLOCK == 0
                && cols <= Integer.MAX_VALUE / 2 && tensor.size() % cols == 0
                && tensor.size() / cols * tilesPerRow(cols) * TILE_SHORTS <= Integer.MAX_VALUE - 16 - LEADING_SHORTS;
    }

    /** Bytes the packed copy of {@code elements} values in rows of {@code cols} takes on the heap. */
    public static long packedBytes(long elements, long cols) {
        return (elements / cols * tilesPerRow(cols) * TILE_SHORTS + LEADING_SHORTS) * Short.BYTES;
    }

    /**
     * Copies {@code source} into the tile layout, rows shared out over {@code parallel}'s threads;
     * null when a block's scale is infinite or NaN. The kernel widens fp16 scales with a multiply
     * that is exact for every finite value but not for those (the check they would need cost a
     * tenth of its speed), and the file's layout computes them exactly, so such a matrix, which
     * only a broken file has, stays there.
     */
    public static Q4_0PackedTensor pack(Q4_0Tensor source, long cols, Parallel parallel) {
        if (!canPack(source, cols)) throw new IllegalArgumentException("Q4_0 tensor of " + source.size() + " values in rows of " + cols + " cannot be packed here");
        int rows = (int) (source.size() / cols);
        int rowShorts = tilesPerRow(cols) * TILE_SHORTS;
        short[] tiles = new short[LEADING_SHORTS + rows * rowShorts];
        AtomicBoolean nonFinite = new AtomicBoolean();
        parallel.forChunks(rows, 64, (start, end) -> {
            if (!packRows(source, (int) cols, start, end, tiles)) nonFinite.set(true);
        });
        return nonFinite.get() ? null : new Q4_0PackedTensor(source, tiles, (int) cols);
    }

    /**
     * Rows [start, end) of {@code source} into {@code tiles}; false when a block scale among them
     * is infinite or NaN. Value k of a block is the low nibble
     * of its byte k for k < 16, the high nibble of byte k − 16 otherwise; lane b of vector v takes
     * values 4v..4v+3 of block b, so vectors 0-3 hold low nibbles and 4-7 high ones. Scalar code
     * on purpose: it runs once per model, mostly before the JIT has compiled it, and the
     * interpreter runs Vector API code about a hundred times slower than plain arithmetic.
     */
    private static boolean packRows(Q4_0Tensor source, int cols, int start, int end, short[] tiles) {
        int blocksPerRow = cols / Q4_0Tensor.BLOCK, tilesPerRow = tilesPerRow(cols);
        boolean finite = true;
        for (int r = start; r < end; r++) {
            for (int block = 0; block < blocksPerRow; block++) {
                long at = ((long) r * blocksPerRow + block) * Q4_0Tensor.BYTES;
                int tile = LEADING_SHORTS + (r * tilesPerRow + block / TILE_BLOCKS) * TILE_SHORTS, lane = lane(block % TILE_BLOCKS);
                long low = source.data.get(Vectors.LONG_LE, at + 2), high = source.data.get(Vectors.LONG_LE, at + 10);
                for (int v = 0; v < 8; v++) {
                    // bytes 4(v mod 4) .. 4(v mod 4) + 3; their high nibbles for v ≥ 4
                    long bytes = (v % 4 < 2 ? low : high) >>> (32 * (v % 2)) >>> (v >= 4 ? 4 : 0);
                    tiles[tile + v * TILE_BLOCKS + lane] = (short) (bytes & 0xF | (bytes >>> 8 & 0xF) << 4
                            | (bytes >>> 16 & 0xF) << 8 | (bytes >>> 24 & 0xF) << 12);
                }
                short scale = source.data.get(Vectors.SHORT_LE, at);
                tiles[tile + SCALES_AT + lane] = scale;
                if ((scale & FP16_EXPONENT) == FP16_EXPONENT) finite = false;
            }
        }
        return finite;
    }

    /** The exponent bits of an fp16 value: all ones for infinities and NaN. */
    private static final int FP16_EXPONENT = 0x7C00;

    /** The file-layout tensor this copy was made from. */
    public Q4_0Tensor source() { return source; }

    @Override public GgmlType type() { return GgmlType.Q4_0; }

    @Override public long size() { return source.size(); }

    /** The value at {@code index}, read back from the tiles (what {@link #dotQ8} multiplies). */
    float packedValue(long index) {
        int row = (int) (index / cols), col = (int) (index % cols);
        int block = col / Q4_0Tensor.BLOCK, k = col % Q4_0Tensor.BLOCK;
        int tile = LEADING_SHORTS + (row * tilesPerRow + block / TILE_BLOCKS) * TILE_SHORTS, lane = lane(block % TILE_BLOCKS);
        int nibble = tiles[tile + k / 4 * TILE_BLOCKS + lane] >>> (4 * (k % 4)) & 0xF;
        return (nibble - Q4_0Tensor.ZERO_POINT) * Float.float16ToFloat(tiles[tile + SCALES_AT + lane]);
    }

    @Override public float getFloat(long index) { return source.getFloat(index); }

    @Override public float dot(long offset, float[] x, int xOffset, int n) { return source.dot(offset, x, xOffset, n); }

    @Override public void dequantize(long offset, float[] out, int outOffset, int n) { source.dequantize(offset, out, outOffset, n); }

    /**
     * Σ this[row · cols + c] · x[c] over the row, with x quantized by {@link Q8Activations#quantize}
     * (whose tiled copy lines its values up with the lanes, as bytes widened to 16 bits on
     * loading). Per tile: two 16-bit accumulators (so that the adds do not all wait on each
     * other), 8 loads of 4 values per block, then one widening and one multiply-add by d_w · d_x
     * per 16 blocks.
     */
    public float dotQ8(int row, Q8Activations x) {
        if (x.length() != cols) throw new IllegalArgumentException("activations of length " + x.length() + " for rows of " + cols);
        short[] w = tiles, zeroPoints = x.tiledZeroPoints;
        byte[] xq = x.tiledValues;
        float[] xd = x.scales;
        FloatVector low = FloatVector.zero(F), high = low;
        int at = LEADING_SHORTS + row * tilesPerRow * TILE_SHORTS;
        for (int t = 0; t < tilesPerRow; t++, at += TILE_SHORTS) {
            int xi = t * TILE_VALUES;
            ShortVector even = ShortVector.fromArray(SHORTS, zeroPoints, t * TILE_BLOCKS), odd = ShortVector.zero(SHORTS);
            for (int v = 0; v < 8; v++, xi += 4 * TILE_BLOCKS) {
                ShortVector p = ShortVector.fromArray(SHORTS, w, at + v * TILE_BLOCKS);
                even = even.add(p.and((short) 0xF).mul((ShortVector) ByteVector.fromArray(BYTES_OF_SHORTS, xq, xi).convertShape(VectorOperators.B2S, SHORTS, 0)));
                odd = odd.add(p.lanewise(VectorOperators.LSHR, 4).and((short) 0xF).mul((ShortVector) ByteVector.fromArray(BYTES_OF_SHORTS, xq, xi + TILE_BLOCKS).convertShape(VectorOperators.B2S, SHORTS, 0)));
                even = even.add(p.lanewise(VectorOperators.LSHR, 8).and((short) 0xF).mul((ShortVector) ByteVector.fromArray(BYTES_OF_SHORTS, xq, xi + 2 * TILE_BLOCKS).convertShape(VectorOperators.B2S, SHORTS, 0)));
                odd = odd.add(p.lanewise(VectorOperators.LSHR, 12).mul((ShortVector) ByteVector.fromArray(BYTES_OF_SHORTS, xq, xi + 3 * TILE_BLOCKS).convertShape(VectorOperators.B2S, SHORTS, 0)));
            }
            // lanes as 32-bit pairs: blocks 0-15 in the low halves, 16-31 in the high ones
            IntVector sums = even.add(odd).reinterpretAsInts();
            FloatVector first = (FloatVector) sums.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0);
            FloatVector second = (FloatVector) sums.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0);
            IntVector halves = ShortVector.fromArray(SHORTS, w, at + SCALES_AT).reinterpretAsInts();
            // fp16 to float32, blocks 0-15 from the low halves and 16-31 from the high ones:
            // exponent and mantissa moved to float32's bits 13-27 and rebiased by one multiply by
            // 2^112 (exact for zeros, subnormals and normals: pack() leaves infinite and NaN
            // scales in the file's layout), then the sign moved to bit 31
            FloatVector d0 = halves.lanewise(VectorOperators.LSHL, 13).and(0x0FFF_E000).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(halves.lanewise(VectorOperators.LSHL, 16).and(0x8000_0000)).reinterpretAsFloats();
            FloatVector d1 = halves.lanewise(VectorOperators.LSHR, 3).and(0x0FFF_E000).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(halves.and(0x8000_0000)).reinterpretAsFloats();
            int bi = t * TILE_BLOCKS;
            low = first.fma(d0.mul(FloatVector.fromArray(F, xd, bi)), low);
            high = second.fma(d1.mul(FloatVector.fromArray(F, xd, bi + L)), high);
        }
        // Vectors.sum written out: a call to it here is past C2's NodeCountInliningCutoff, which
        // left it out of line and boxed the vector once per row (measured 9 against 21
        // Gweights/s on one core); the Vector API's own methods are inlined regardless
        FloatVector sum = low.add(high);
        sum = sum.add(sum.rearrange(Vectors.SWAP_8));
        sum = sum.add(sum.rearrange(Vectors.SWAP_4));
        sum = sum.add(sum.rearrange(Vectors.SWAP_2));
        sum = sum.add(sum.rearrange(Vectors.SWAP_1));
        return sum.lane(0);
    }
}
