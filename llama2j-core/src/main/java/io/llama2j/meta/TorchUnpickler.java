package io.llama2j.meta;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A restricted reader of the pickles torch.save writes for state dicts (data.pkl). It interprets
 * the opcodes of pickle protocols 2-4 that such files use (Python's Lib/pickletools.py documents
 * each one) and the handful of globals they reference, and builds plain Java values. It never
 * executes anything: a GLOBAL outside {@link #ALLOWED_GLOBALS} or any other opcode is an error,
 * which is what makes untrusted .pth files safe to open (unlike Python's pickle.load).
 *
 * <p>Values: str → String, int → Long, bool → Boolean, None → null, float → Double, tuple →
 * {@link Tuple}, list → ArrayList, dict and OrderedDict → LinkedHashMap, a tensor →
 * {@link TorchTensor}, a persistent storage reference → {@link TorchStorageRef}.
 */
final class TorchUnpickler {
    static final String ORDERED_DICT = "collections.OrderedDict";
    static final String REBUILD_TENSOR_V2 = "torch._utils._rebuild_tensor_v2";
    /** Storage classes torch.save names in persistent ids, and the element type of each. */
    static final Map<String, TorchDType> STORAGE_TYPES = Map.of(
            "torch.FloatStorage", TorchDType.F32,
            "torch.HalfStorage", TorchDType.F16,
            "torch.BFloat16Storage", TorchDType.BF16);
    static final Set<String> ALLOWED_GLOBALS = Set.of(ORDERED_DICT, REBUILD_TENSOR_V2,
            "torch.FloatStorage", "torch.HalfStorage", "torch.BFloat16Storage");
    /** Widest integer LONG1 may encode here: sizes and offsets fit in a signed 64-bit value. */
    static final int MAX_LONG1_BYTES = 8;

    /** A Python tuple. */
    record Tuple(List<Object> items) {
        Tuple { items = List.copyOf(items.stream().map(o -> o == null ? NONE : o).toList()); }
        Object get(int i) { Object o = items.get(i); return o == NONE ? null : o; }
        int size() { return items.size(); }
    }

    /** A class or function reference, resolved only against the allow-list. */
    record Global(String qualifiedName) {}

    /** Stand-in for None inside tuples (List.copyOf refuses nulls). */
    private static final Object NONE = new Object() { @Override public String toString() { return "None"; } };
    private static final Object MARK = new Object();

    private final String source;
    private final ByteBuffer in;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private TorchUnpickler(String source, byte[] pickle) {
        this.source = source;
        this.in = ByteBuffer.wrap(pickle).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Reads one pickle; {@code source} names it in error messages (archive and entry). */
    static Object load(String source, byte[] pickle) throws IOException {
        try {
            return new TorchUnpickler(source, pickle).run();
        } catch (java.nio.BufferUnderflowException e) {
            throw new IOException(source + ": pickle is truncated");
        }
    }

    private IOException error(String message) {
        return new IOException(source + ": " + message + " (pickle byte " + in.position() + ")");
    }

    private Object run() throws IOException {
        while (true) {
            int op = in.get() & 0xFF;
            switch (op) {
                case 0x80 -> { // PROTO
                    int version = in.get() & 0xFF;
                    if (version < 2 || version > 5) throw error("unsupported pickle protocol " + version);
                }
                case 0x95 -> in.getLong(); // FRAME: a length hint only
                case '.' -> { // STOP
                    Object result = pop();
                    if (!stack.isEmpty() || !marks.isEmpty()) throw error("data left on the stack at STOP");
                    return result;
                }
                case '(' -> { marks.add(stack.size()); stack.add(MARK); }
                case ')' -> stack.add(new Tuple(List.of()));
                case ']' -> stack.add(new ArrayList<>());
                case '}' -> stack.add(new LinkedHashMap<>());
                case 'N' -> stack.add(null);
                case 0x88 -> stack.add(Boolean.TRUE);
                case 0x89 -> stack.add(Boolean.FALSE);
                case 'J' -> stack.add((long) in.getInt());
                case 'K' -> stack.add((long) (in.get() & 0xFF));
                case 'M' -> stack.add((long) (in.getShort() & 0xFFFF));
                case 0x8a -> stack.add(long1());
                case 'G' -> stack.add(Double.longBitsToDouble(Long.reverseBytes(in.getLong()))); // BINFLOAT is big-endian
                case 'X' -> stack.add(utf8(Integer.toUnsignedLong(in.getInt())));
                case 0x8c -> stack.add(utf8(in.get() & 0xFF));
                case 'c' -> stack.add(global(line() + "." + line()));
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop(), module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) throw error("STACK_GLOBAL needs two strings");
                    stack.add(global(m + "." + n));
                }
                case 't' -> stack.add(new Tuple(popToMark()));
                case 0x85 -> stack.add(new Tuple(popN(1)));
                case 0x86 -> stack.add(new Tuple(popN(2)));
                case 0x87 -> stack.add(new Tuple(popN(3)));
                case 'l' -> stack.add(new ArrayList<>(popToMark()));
                case 'a' -> { Object v = pop(); list(peek()).add(v); }
                case 'e' -> { List<Object> items = popToMark(); list(peek()).addAll(items); }
                case 's' -> { Object v = pop(), k = pop(); dict(peek()).put(key(k), v); }
                case 'u' -> {
                    List<Object> items = popToMark();
                    if (items.size() % 2 != 0) throw error("SETITEMS with an odd number of items");
                    Map<Object, Object> d = dict(peek());
                    for (int i = 0; i < items.size(); i += 2) d.put(key(items.get(i)), items.get(i + 1));
                }
                case 'q' -> memo.put((long) (in.get() & 0xFF), peek());
                case 'r' -> memo.put(Integer.toUnsignedLong(in.getInt()), peek());
                case 0x94 -> memo.put((long) memo.size(), peek());
                case 'h' -> stack.add(memoGet(in.get() & 0xFF));
                case 'j' -> stack.add(memoGet(Integer.toUnsignedLong(in.getInt())));
                case 'Q' -> stack.add(persistent(pop()));
                case 'R' -> { Object args = pop(), callable = pop(); stack.add(reduce(callable, args)); }
                case 'b' -> { // BUILD: only the attribute dict of an OrderedDict state dict (_metadata), ignored
                    Object state = pop();
                    if (!(peek() instanceof Map<?, ?>) || !(state == null || state instanceof Map<?, ?>)) {
                        throw error("BUILD is only allowed on a dict");
                    }
                }
                default -> throw error(String.format("opcode 0x%02x is not allowed in a state dict", op));
            }
        }
    }

    private Object pop() throws IOException {
        if (stack.isEmpty()) throw error("stack underflow");
        Object o = stack.removeLast();
        if (o == MARK) throw error("unexpected MARK");
        return o;
    }

    private Object peek() throws IOException {
        if (stack.isEmpty() || stack.getLast() == MARK) throw error("stack underflow");
        return stack.getLast();
    }

    private List<Object> popN(int n) throws IOException {
        Object[] items = new Object[n];
        for (int i = n - 1; i >= 0; i--) items[i] = pop();
        return java.util.Arrays.asList(items);
    }

    private List<Object> popToMark() throws IOException {
        if (marks.isEmpty()) throw error("no MARK on the stack");
        int mark = marks.removeLast();
        List<Object> items = new ArrayList<>(stack.subList(mark + 1, stack.size()));
        stack.subList(mark, stack.size()).clear();
        return items;
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o) throws IOException {
        if (o instanceof ArrayList<?> l) return (List<Object>) l;
        throw error("APPEND target is not a list");
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o) throws IOException {
        if (o instanceof LinkedHashMap<?, ?> m) return (Map<Object, Object>) m;
        throw error("SETITEM target is not a dict");
    }

    private Object key(Object k) throws IOException {
        if (k instanceof String || k instanceof Long || k instanceof Boolean || k instanceof Tuple) return k;
        throw error("unhashable dict key " + describe(k));
    }

    private Object memoGet(long key) throws IOException {
        if (!memo.containsKey(key)) throw error("memo key " + key + " was never stored");
        return memo.get(key);
    }

    private long long1() throws IOException {
        int n = in.get() & 0xFF;
        if (n > MAX_LONG1_BYTES) throw error("integer of " + n + " bytes is too large");
        long v = 0;
        for (int i = 0; i < n; i++) v |= (long) (in.get() & 0xFF) << (8 * i);
        if (n > 0 && n < 8 && (v >>> (8 * n - 1) & 1) != 0) v |= -1L << (8 * n); // sign-extend two's complement
        return v;
    }

    private String utf8(long length) throws IOException {
        if (length > in.remaining()) throw error("string of " + length + " bytes runs past the end of the pickle");
        byte[] bytes = new byte[(int) length];
        in.get(bytes);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw error("string is not valid UTF-8");
        }
    }

    /** A newline-terminated ASCII line (GLOBAL's module and name). */
    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            byte b = in.get();
            if (b == '\n') return sb.toString();
            if (b < 0x20 || sb.length() > 256) throw error("malformed GLOBAL name");
            sb.append((char) b);
        }
    }

    private Global global(String qualifiedName) throws IOException {
        if (!ALLOWED_GLOBALS.contains(qualifiedName)) {
            throw error("refusing global '" + qualifiedName + "': a state dict only references " + ALLOWED_GLOBALS);
        }
        return new Global(qualifiedName);
    }

    /** torch.save's persistent id: ('storage', storage class, key, location, numel). */
    private Object persistent(Object pid) throws IOException {
        if (!(pid instanceof Tuple t) || t.size() != 5 || !"storage".equals(t.get(0))) {
            throw error("persistent id " + describe(pid) + " is not ('storage', type, key, location, numel)");
        }
        if (!(t.get(1) instanceof Global g) || !STORAGE_TYPES.containsKey(g.qualifiedName())) {
            throw error("persistent id names storage type " + describe(t.get(1)));
        }
        if (!(t.get(2) instanceof String key) || !(t.get(4) instanceof Long numel) || numel < 0) {
            throw error("persistent id " + describe(pid) + " has a bad key or element count");
        }
        return new TorchStorageRef(key, STORAGE_TYPES.get(g.qualifiedName()), numel);
    }

    private Object reduce(Object callable, Object args) throws IOException {
        if (!(callable instanceof Global g)) throw error("REDUCE on " + describe(callable) + ", not a global");
        if (!(args instanceof Tuple a)) throw error("REDUCE arguments are " + describe(args) + ", not a tuple");
        return switch (g.qualifiedName()) {
            case ORDERED_DICT -> {
                if (a.size() != 0) throw error("OrderedDict with arguments is not supported");
                yield new LinkedHashMap<>();
            }
            case REBUILD_TENSOR_V2 -> rebuildTensor(a);
            default -> throw error("refusing to call " + g.qualifiedName());
        };
    }

    /** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]). */
    private TorchTensor rebuildTensor(Tuple a) throws IOException {
        if (a.size() < 4 || !(a.get(0) instanceof TorchStorageRef storage) || !(a.get(1) instanceof Long offset)
                || !(a.get(2) instanceof Tuple size) || !(a.get(3) instanceof Tuple stride)) {
            throw error("_rebuild_tensor_v2 arguments " + describe(a) + " are not (storage, offset, size, stride, ...)");
        }
        return new TorchTensor(storage, offset, longs(size), longs(stride));
    }

    private long[] longs(Tuple t) throws IOException {
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(t.get(i) instanceof Long v)) throw error("tensor size/stride holds " + describe(t.get(i)));
            out[i] = v;
        }
        return out;
    }

    private static String describe(Object o) {
        if (o == null) return "None";
        String s = o.toString();
        return o.getClass().getSimpleName() + " " + (s.length() > 80 ? s.substring(0, 80) + "..." : s);
    }
}
