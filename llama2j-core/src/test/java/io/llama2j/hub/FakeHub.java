package io.llama2j.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test fixture: a Hugging Face hub on 127.0.0.1 that behaves as the real one does for downloads.
 * The hub answers the model API and redirects resolve URLs of files to a separate CDN server
 * (another port, so another origin) with X-Linked-Etag / X-Linked-Size; the CDN serves byte
 * ranges. Repositories in {@link #gated} answer 401 without the right bearer token. It can drop
 * a connection half way and serve bytes that do not match the announced SHA-256.
 */
public final class FakeHub implements AutoCloseable {
    public static final String TOKEN = "hf_test_token";

    final HttpServer hub;
    final HttpServer cdn;
    /** repo id → file name → content */
    final Map<String, Map<String, byte[]>> repos = new LinkedHashMap<>();
    public final List<String> gated = new ArrayList<>();
    /** Renamed repositories: old id → new id; the hub answers the old name with a relative 307 to the new one. */
    final Map<String, String> renamed = new LinkedHashMap<>();
    /** Responses from the CDN that stop after half of their bytes. */
    final AtomicInteger dropsLeft = new AtomicInteger();
    /** When set, the CDN flips one byte of what it serves (the announced SHA-256 stays the true one). */
    volatile boolean corrupt;
    /** Range headers the CDN received, in order ("" when none). */
    final List<String> cdnRanges = new CopyOnWriteArrayList<>();
    /** Authorization headers the CDN received ("" when none). */
    final List<String> cdnAuthorizations = new CopyOnWriteArrayList<>();

    public FakeHub() throws IOException {
        hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        cdn = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hub.createContext("/", this::hub);
        cdn.createContext("/", this::cdn);
        hub.start();
        cdn.start();
    }

    public URI endpoint() { return URI.create("http://127.0.0.1:" + hub.getAddress().getPort()); }

    public void put(String repo, String file, byte[] content) {
        repos.computeIfAbsent(repo, r -> new LinkedHashMap<>()).put(file, content);
    }

    private void hub(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        Matcher api = Pattern.compile("/api/models/([^/]+/[^/]+)/revision/([^/]+)").matcher(path);
        Matcher resolve = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)").matcher(path);
        String repo = api.matches() ? api.group(1) : resolve.matches() ? resolve.group(1) : null;
        if (repo != null && renamed.containsKey(repo)) {
            ex.getResponseHeaders().add("Location", path.replaceFirst("/" + repo + "/", "/" + renamed.get(repo) + "/"));
            ex.sendResponseHeaders(307, -1);
            ex.close();
            return;
        }
        if (repo == null || !repos.containsKey(repo)) {
            send(ex, 404, "{\"error\":\"Repository not found\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (gated.contains(repo) && !("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            send(ex, 401, "{\"error\":\"Access to model is restricted\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (api.matches()) {
            StringBuilder json = new StringBuilder("{\"id\":\"" + repo + "\",\"siblings\":[");
            String separator = "";
            for (var e : repos.get(repo).entrySet()) {
                json.append(separator).append("{\"rfilename\":\"").append(e.getKey()).append("\",\"size\":").append(e.getValue().length)
                        .append(",\"lfs\":{\"sha256\":\"").append(sha256(e.getValue())).append("\",\"size\":").append(e.getValue().length)
                        .append(",\"pointerSize\":134}}");
                separator = ",";
            }
            send(ex, 200, json.append("]}").toString().getBytes(StandardCharsets.UTF_8));
            return;
        }
        byte[] content = repos.get(repo).get(resolve.group(3));
        if (content == null) {
            send(ex, 404, "{\"error\":\"Entry not found\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        ex.getResponseHeaders().add("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/blobs/" + repo + "/" + resolve.group(3));
        ex.getResponseHeaders().add("X-Linked-Etag", "\"" + sha256(content) + "\"");
        ex.getResponseHeaders().add("X-Linked-Size", Long.toString(content.length));
        ex.sendResponseHeaders(302, -1);
        ex.close();
    }

    private void cdn(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        Matcher m = Pattern.compile("/blobs/([^/]+/[^/]+)/(.+)").matcher(path);
        byte[] content = m.matches() && repos.containsKey(m.group(1)) ? repos.get(m.group(1)).get(m.group(2)) : null;
        String range = ex.getRequestHeaders().getFirst("Range");
        cdnRanges.add(range == null ? "" : range);
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        cdnAuthorizations.add(auth == null ? "" : auth);
        if (content == null) {
            send(ex, 404, new byte[0]);
            return;
        }
        if (corrupt) {
            content = content.clone();
            content[content.length / 2] ^= 0x55;
        }
        int start = 0;
        int status = 200;
        if (range != null) {
            Matcher r = Pattern.compile("bytes=(\\d+)-").matcher(range);
            if (!r.matches()) throw new IllegalStateException("unexpected range " + range);
            start = Integer.parseInt(r.group(1));
            if (start >= content.length) {
                ex.getResponseHeaders().add("Content-Range", "bytes */" + content.length);
                send(ex, 416, new byte[0]);
                return;
            }
            status = 206;
            ex.getResponseHeaders().add("Content-Range", "bytes " + start + "-" + (content.length - 1) + "/" + content.length);
        }
        int length = content.length - start;
        if ("HEAD".equals(ex.getRequestMethod())) {
            ex.getResponseHeaders().add("Content-Length", Integer.toString(length));
            ex.sendResponseHeaders(status, -1);
            ex.close();
            return;
        }
        ex.sendResponseHeaders(status, length);
        OutputStream out = ex.getResponseBody();
        if (dropsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            out.write(content, start, length / 2);
            out.flush();
            ex.close(); // fewer bytes than announced: the server closes the connection
            return;
        }
        out.write(content, start, length);
        out.close();
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        boolean withBody = body.length > 0 && !"HEAD".equals(ex.getRequestMethod());
        ex.sendResponseHeaders(status, withBody ? body.length : -1);
        if (withBody) ex.getResponseBody().write(body);
        ex.close();
    }

    public static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
    }
}
