package io.llama2j.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The multi-row matrix-vector kernels (FloatTensor.matVecRows) of every storage type equal one
 * dot per row bit for bit: they do the same float operations per row, only interleaved.
 */
class MatVecRowsTest {

    static Stream<GgmlType> types() {
        return Stream.of(RandomTensors.TYPES);
    }

    @ParameterizedTest
    @MethodSource("types")
    void rowsOfAMatVecEqualOneDotPerRow(GgmlType type) {
        Random random = new Random(7 + type.id());
        int cols = 3 * Math.max(256, type.blockSize());
        int rows = 11; // two passes of four rows and a tail of three
        FloatTensor w = RandomTensors.of(type, (long) rows * cols, random);
        float[] x = new float[cols + 4];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        float[] out = new float[rows + 2];
        w.matVecRows(1, rows, cols, x, 4, out, 2); // rows [1, 11): a start that is not a multiple of 4
        for (int r = 1; r < rows; r++) {
            assertThat(out[2 + r]).as("row %d", r).isEqualTo(w.dot((long) r * cols, x, 4, cols));
        }
    }
}
