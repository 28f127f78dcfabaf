package io.llama2j.meta;

import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.Quantizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a state dict in torch.save's zip format (readable by torch.load and by
 * {@link TorchCheckpoint}): data.pkl, byteorder, one storage per tensor under data/, version.
 * A tensor may be a sub-block (rows × columns) of a larger source matrix, which is how Meta's
 * model-parallel shards are cut.
 */
final class TorchCheckpointWriter {
    private TorchCheckpointWriter() {}

    /** torch.save's archive format version record. */
    static final String FORMAT_VERSION = "3\n";
    private static final int CHUNK_ELEMENTS = 1 << 16;

    /**
     * Tensor {@code name} of shape {@code shape} = the block of {@code source} (a matrix of
     * {@code sourceCols} columns) starting at row {@code firstRow}, column {@code firstCol}.
     */
    record Tensor(String name, long[] shape, FloatTensor source, long sourceCols, long firstRow, long firstCol) {
        static Tensor whole(String name, long[] shape, FloatTensor source) {
            return new Tensor(name, shape, source, shape.length == 0 ? 1 : shape[shape.length - 1], 0, 0);
        }

        long cols() { return shape.length == 0 ? 1 : shape[shape.length - 1]; }

        long rows() { return TorchPickleWriter.elements(shape) / Math.max(1, cols()); }
    }

    static void write(Path path, String archiveName, List<Tensor> tensors, TorchDType dtype, boolean forceZip64)
            throws IOException {
        List<TorchPickleWriter.Item> items = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            items.add(new TorchPickleWriter.Item(tensors.get(i).name(), Integer.toString(i), dtype, tensors.get(i).shape()));
        }
        String prefix = archiveName + "/";
        try (StoredZipWriter zip = new StoredZipWriter(path, forceZip64)) {
            zip.add(prefix + TorchCheckpoint.PICKLE_ENTRY, TorchPickleWriter.stateDict(items));
            zip.add(prefix + TorchCheckpoint.BYTEORDER_ENTRY, TorchCheckpoint.LITTLE_ENDIAN.getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < tensors.size(); i++) {
                Tensor t = tensors.get(i);
                long bytes = Math.multiplyExact(TorchPickleWriter.elements(t.shape()), (long) dtype.bytes);
                zip.add(prefix + "data/" + i, bytes, sink -> encodeBlock(t, dtype, sink));
            }
            zip.add(prefix + "version", FORMAT_VERSION.getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void encodeBlock(Tensor t, TorchDType dtype, StoredZipWriter.Sink sink) throws IOException {
        float[] chunk = new float[CHUNK_ELEMENTS];
        for (long r = 0; r < t.rows(); r++) {
            long rowStart = (t.firstRow() + r) * t.sourceCols() + t.firstCol();
            for (long c = 0; c < t.cols(); c += CHUNK_ELEMENTS) {
                int n = (int) Math.min(CHUNK_ELEMENTS, t.cols() - c);
                t.source().dequantize(rowStart + c, chunk, 0, n);
                sink.reserve(n * dtype.bytes).put(Quantizer.quantize(dtype.ggmlType, chunk, 0, n));
            }
        }
    }
}
