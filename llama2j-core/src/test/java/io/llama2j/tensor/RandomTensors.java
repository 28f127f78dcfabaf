package io.llama2j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/** Tensors of every supported storage type filled with random but finite data, for kernel tests. */
final class RandomTensors {
    private RandomTensors() {}

    static final GgmlType[] TYPES = {
            GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1,
            GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K};

    /**
     * {@code elements} values of {@code type}: random bytes for the quantized values and the
     * packed 6-bit scales, and random finite fp16 scales (random fp16 bits could be NaN).
     */
    static FloatTensor of(GgmlType type, long elements, Random random) {
        byte[] bytes = new byte[Math.toIntExact(type.byteSize(elements))];
        MemorySegment s = MemorySegment.ofArray(bytes);
        switch (type) {
            case F32 -> {
                for (long i = 0; i < elements; i++) s.setAtIndex(Vectors.FLOAT_LE, i, (float) random.nextGaussian());
            }
            case F16 -> {
                for (long i = 0; i < elements; i++) {
                    // include binary16 subnormals (below 2^-14) now and then
                    double v = random.nextInt(8) == 0 ? random.nextGaussian() * 1e-6 : random.nextGaussian() * 10;
                    s.setAtIndex(Vectors.SHORT_LE, i, Float.floatToFloat16((float) v));
                }
            }
            case BF16 -> {
                for (long i = 0; i < elements; i++) s.setAtIndex(Vectors.SHORT_LE, i, Quantizer.toBFloat16((float) random.nextGaussian()));
            }
            default -> {
                random.nextBytes(bytes);
                long blocks = elements / type.blockSize();
                for (long b = 0; b < blocks; b++) {
                    long at = b * type.bytesPerBlock();
                    switch (type) {
                        case Q8_0, Q4_0 -> setHalf(s, at, random.nextFloat() * 0.1f);
                        case Q4_1, Q4_K, Q5_K -> {
                            setHalf(s, at, random.nextFloat() * 0.1f);
                            setHalf(s, at + 2, random.nextFloat() * 0.1f);
                        }
                        case Q6_K -> setHalf(s, at + Q6_KTensor.BYTES - 2, random.nextFloat() * 0.1f);
                        default -> throw new IllegalArgumentException(type.toString());
                    }
                }
            }
        }
        return FloatTensors.of(type, s, elements);
    }

    private static void setHalf(MemorySegment s, long at, float value) {
        s.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), at, Float.floatToFloat16(value));
    }
}
