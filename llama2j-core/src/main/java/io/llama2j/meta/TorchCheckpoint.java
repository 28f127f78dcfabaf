package io.llama2j.meta;

import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.FloatTensors;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One torch.save file holding a state dict (a Meta consolidated.NN.pth): a zip with
 * {@code <archive>/data.pkl} (read by {@link TorchUnpickler}) and one entry
 * {@code <archive>/data/<key>} per storage. Tensors are views of the mapped storages.
 */
final class TorchCheckpoint implements AutoCloseable {
    static final String PICKLE_ENTRY = "data.pkl";
    static final String BYTEORDER_ENTRY = "byteorder";
    static final String LITTLE_ENDIAN = "little";

    private final StoredZip zip;
    private final Map<String, TorchTensor> tensors;
    private final String prefix;

    private TorchCheckpoint(StoredZip zip, String prefix, Map<String, TorchTensor> tensors) {
        this.zip = zip;
        this.prefix = prefix;
        this.tensors = tensors;
    }

    static TorchCheckpoint open(Path path) throws IOException {
        return open(path, false);
    }

    static TorchCheckpoint open(Path path, boolean unmapWhenUnreachable) throws IOException {
        StoredZip zip = StoredZip.open(path, unmapWhenUnreachable);
        try {
            List<String> pickles = zip.names().stream()
                    .filter(n -> n.endsWith("/" + PICKLE_ENTRY) && n.indexOf('/') == n.length() - PICKLE_ENTRY.length() - 1)
                    .toList();
            if (pickles.size() != 1) {
                throw new IOException(path + ": expected one <archive>/" + PICKLE_ENTRY + " entry (a torch.save file), found "
                        + pickles.size());
            }
            String prefix = pickles.getFirst().substring(0, pickles.getFirst().length() - PICKLE_ENTRY.length());
            if (zip.names().contains(prefix + BYTEORDER_ENTRY)) {
                String order = new String(zip.readVerified(prefix + BYTEORDER_ENTRY), StandardCharsets.US_ASCII).strip();
                if (!order.equals(LITTLE_ENDIAN)) {
                    throw new IOException(path + ": storages are " + order + "-endian; llama2j reads little-endian");
                }
            }
            String source = path + " " + pickles.getFirst();
            Object root = TorchUnpickler.load(source, zip.readVerified(pickles.getFirst()));
            if (!(root instanceof Map<?, ?> dict)) {
                throw new IOException(source + ": expected a state dict, found " + (root == null ? "None" : root.getClass().getSimpleName()));
            }
            Map<String, TorchTensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : dict.entrySet()) {
                if (e.getKey() instanceof String name && e.getValue() instanceof TorchTensor t) {
                    validate(zip, prefix, source, name, t);
                    tensors.put(name, t);
                }
            }
            return new TorchCheckpoint(zip, prefix, Collections.unmodifiableMap(tensors));
        } catch (IOException | RuntimeException e) {
            zip.close();
            throw e;
        }
    }

    private static void validate(StoredZip zip, String prefix, String source, String name, TorchTensor t) throws IOException {
        String where = source + ": tensor " + name;
        if (t.shape().length != t.stride().length) {
            throw new IOException(where + " has " + t.shape().length + " sizes but " + t.stride().length + " strides");
        }
        long elements;
        try {
            for (long d : t.shape()) if (d < 0) throw new IOException(where + " has negative size " + Arrays.toString(t.shape()));
            elements = t.elements();
            if (!t.isContiguous()) {
                throw new IOException(where + " is not contiguous: " + t + "; save it with .contiguous()");
            }
            if (t.storageOffset() < 0 || Math.addExact(t.storageOffset(), elements) > t.storage().numel()) {
                throw new IOException(where + " (" + t + ") needs elements past the storage's " + t.storage().numel());
            }
            long needed = Math.multiplyExact(t.storage().numel(), (long) t.storage().dtype().bytes);
            long found = zip.entry(prefix + "data/" + t.storage().key()).byteSize();
            if (found < needed) {
                throw new IOException(where + ": storage " + t.storage().key() + " holds " + found + " bytes, expected "
                        + needed + " (" + t.storage().numel() + " × " + t.storage().dtype() + ")");
            }
        } catch (ArithmeticException overflow) {
            throw new IOException(where + ": size " + Arrays.toString(t.shape()) + " overflows 64 bits");
        }
    }

    Path path() { return zip.path(); }

    /** State-dict entries that are tensors, in file order. */
    Map<String, TorchTensor> tensors() { return tensors; }

    long[] shape(String name) {
        return info(name).shape().clone();
    }

    private TorchTensor info(String name) {
        TorchTensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException(zip.path() + ": missing tensor " + name);
        return t;
    }

    /** Tensor {@code name} as weights, a view of its mapped storage. */
    FloatTensor tensor(String name) {
        TorchTensor t = info(name);
        int bytes = t.storage().dtype().bytes;
        try {
            MemorySegment storage = zip.entry(prefix + "data/" + t.storage().key());
            return FloatTensors.of(t.storage().dtype().ggmlType,
                    storage.asSlice(t.storageOffset() * bytes, t.elements() * bytes), t.elements());
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e); // validated at open: cannot happen
        }
    }

    @Override public void close() {
        zip.close();
    }

}
