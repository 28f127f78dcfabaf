package io.llama2j.meta;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes data.pkl for a state dict the way torch.save does (pickle protocol 2): an OrderedDict
 * whose values are {@code _rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())},
 * each storage a persistent id ('storage', torch.XStorage, key, 'cpu', numel).
 */
final class TorchPickleWriter {
    private TorchPickleWriter() {}

    /** One state-dict entry: a contiguous tensor filling storage {@code key}. */
    record Item(String name, String key, TorchDType dtype, long[] shape) {}

    static final int PROTOCOL = 2;
    static final String DEVICE = "cpu";

    static byte[] stateDict(List<Item> items) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x80);
        out.write(PROTOCOL);
        global(out, "collections", "OrderedDict");
        out.write(')');
        out.write('R');
        out.write('(');
        for (Item item : items) {
            string(out, item.name());
            global(out, "torch._utils", "_rebuild_tensor_v2");
            out.write('(');
            // persistent id
            out.write('(');
            string(out, "storage");
            int dot = item.dtype().storageClass.lastIndexOf('.');
            global(out, item.dtype().storageClass.substring(0, dot), item.dtype().storageClass.substring(dot + 1));
            string(out, item.key());
            string(out, DEVICE);
            integer(out, elements(item.shape()));
            out.write('t');
            out.write('Q');
            integer(out, 0);
            tuple(out, item.shape());
            tuple(out, contiguousStride(item.shape()));
            out.write(0x89); // requires_grad False
            global(out, "collections", "OrderedDict");
            out.write(')');
            out.write('R');
            out.write('t');
            out.write('R');
        }
        out.write('u');
        out.write('.');
        return out.toByteArray();
    }

    static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    static long[] contiguousStride(long[] shape) {
        long[] stride = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            stride[i] = s;
            s *= shape[i];
        }
        return stride;
    }

    private static void global(ByteArrayOutputStream out, String module, String name) {
        out.write('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static void string(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write('X');
        int n = b.length;
        out.write(n);
        out.write(n >>> 8);
        out.write(n >>> 16);
        out.write(n >>> 24);
        out.writeBytes(b);
    }

    /** BININT for values that fit 32 bits, LONG1 (8 bytes, little-endian two's complement) beyond. */
    private static void integer(ByteArrayOutputStream out, long v) {
        if (v == (int) v) {
            out.write('J');
            for (int i = 0; i < 4; i++) out.write((int) (v >>> (8 * i)));
        } else {
            out.write(0x8a);
            out.write(8);
            for (int i = 0; i < 8; i++) out.write((int) (v >>> (8 * i)));
        }
    }

    private static void tuple(ByteArrayOutputStream out, long[] values) {
        out.write('(');
        for (long v : values) integer(out, v);
        out.write('t');
    }
}
