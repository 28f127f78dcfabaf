package io.llama2j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Vector API species shared by the dot kernels, and little-endian layouts for reading blocks.
 *
 * <p>The kernels load L quantized values (bytes or shorts) and widen them to L float lanes, so
 * every species has the lane count L of the float species. L is the preferred float species'
 * length, capped at 16 (512-bit): ggml blocks have 16- and 32-value groups, and a vector must
 * not straddle two of them. Below 8 lanes (a 128-bit machine) there is no byte species of L
 * lanes, and the tensors use their scalar loops instead ({@link #ENABLED} is false).
 *
 * <p>Two rules keep the kernels fast (measured on AVX-512 with Temurin 25): bit fields are
 * unpacked after widening bytes to int lanes (x86 has no byte-lane shifts; Q6_K ran 1.3× faster
 * on int lanes), and a kernel calls Vector API methods only, never a helper of its own that takes
 * or returns a vector: once C2's inlining budget runs out such a helper is not inlined, its
 * vectors are boxed, and the kernel runs 8× slower or worse. The one exception is {@link #sum},
 * called once per dot product after its loop, where a boxed vector would cost one allocation.
 */
final class Vectors {
    private Vectors() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() > 16
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final boolean ENABLED = L >= 8 && L <= 16;
    /** L byte lanes (64 or 128 bits). */
    static final VectorSpecies<Byte> B = ENABLED ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * Byte.SIZE)) : null;
    /** L short lanes (128 or 256 bits). */
    static final VectorSpecies<Short> S = ENABLED ? VectorSpecies.of(short.class, VectorShape.forBitSize(L * Short.SIZE)) : null;
    /** 2L short lanes, the shape of F (the 16-bit integer kernels' full-width vectors). */
    static final VectorSpecies<Short> SHORTS = ENABLED ? VectorSpecies.of(short.class, F.vectorShape()) : null;
    /** 2L byte lanes (128 or 256 bits), widened to SHORTS (the 8-bit activations of the Q4_0 tile kernel). */
    static final VectorSpecies<Byte> BYTES_OF_SHORTS = ENABLED ? VectorSpecies.of(byte.class, VectorShape.forBitSize(2 * L * Byte.SIZE)) : null;
    /** L int lanes, the shape of F. */
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    private static VectorShuffle<Float> swap(int distance) {
        return L > distance ? VectorShuffle.fromOp(F, i -> i ^ distance) : null;
    }
    static final VectorShuffle<Float> SWAP_8 = swap(8), SWAP_4 = swap(4), SWAP_2 = swap(2), SWAP_1 = swap(1);

    /**
     * The sum of v's lanes, added in a fixed tree (halves, then quarters, ...). Not
     * {@code reduceLanes(ADD)}: its interpreted fallback adds lanes left to right while C2's
     * intrinsic adds them as a tree, so a dot product's last bits, and with them seeded
     * generations and tests comparing logits exactly, would depend on whether the JIT had
     * compiled the kernel yet. Lane-wise adds are exact IEEE operations in every mode.
     */
    static float sum(FloatVector v) {
        if (L > 8) v = v.add(v.rearrange(SWAP_8));
        if (L > 4) v = v.add(v.rearrange(SWAP_4));
        if (L > 2) v = v.add(v.rearrange(SWAP_2));
        if (L > 1) v = v.add(v.rearrange(SWAP_1));
        return v.lane(0);
    }
}
