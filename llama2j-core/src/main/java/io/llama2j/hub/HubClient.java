package io.llama2j.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads model files from the Hugging Face hub into the cache ({@link HubConfig}), with the
 * hub's URL scheme:
 * <ul>
 *   <li>file list: GET {endpoint}/api/models/{repo}/revision/{rev}?blobs=true ("siblings", each
 *       with "rfilename", "size" and, for LFS files, "lfs": {"sha256", "size"});</li>
 *   <li>content: {endpoint}/{repo}/resolve/{rev}/{file}, which redirects LFS files to a CDN and
 *       carries X-Linked-Etag (the SHA-256) and X-Linked-Size on the redirect.</li>
 * </ul>
 * A file is written to FILE.part, resumed with a Range request after a lost connection (here
 * or in an earlier run), checked against the expected size and SHA-256, and only then renamed
 * to FILE atomically: a file under its final name is always complete and verified. The token is
 * sent to the hub only, never to the host a redirect leads to.
 */
public final class HubClient {
    public static final String DEFAULT_REVISION = "main";
    /** Redirects followed per request (the hub uses one or two). */
    private static final int MAX_REDIRECTS = 10;
    /** Connection losses tolerated per file; each attempt resumes where the last one stopped. */
    static final int DOWNLOAD_ATTEMPTS = 5;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    private static final int COPY_BUFFER = 1 << 16;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HubConfig config;
    private final HttpClient http;
    private final PrintWriter log;

    /** {@code log} (may be null) receives progress bars and resume notices. */
    public HubClient(HubConfig config, PrintWriter log) {
        this.config = config;
        this.log = log;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(CONNECT_TIMEOUT).build();
    }

    /**
     * Downloads what {@code ref} names at {@code revision}: one file, or the model files of the
     * whole repository (see {@link #modelFiles}). Returns the local paths.
     */
    public List<Path> pull(RepoReference ref, String revision) throws IOException {
        List<RemoteFile> files = ref.file() != null ? List.of(describe(ref, revision)) : modelFiles(ref, listFiles(ref, revision));
        List<Path> paths = new ArrayList<>(files.size());
        for (RemoteFile f : files) paths.add(download(ref, revision, f));
        return paths;
    }

    /**
     * The files worth downloading from a repository listing. A repository of GGUF files holds
     * alternatives (one per quantization), so one must be chosen; PyTorch, TensorFlow, Flax and
     * ONNX copies of weights are left out when safetensors weights are there.
     */
    static List<RemoteFile> modelFiles(RepoReference ref, List<RemoteFile> all) {
        List<String> ggufs = all.stream().map(RemoteFile::path).filter(p -> p.endsWith(".gguf")).toList();
        if (ggufs.size() > 1) {
            throw new IllegalArgumentException(ref.repoId() + " holds " + ggufs.size() + " GGUF files; pull one of them as "
                    + ref.repoId() + "/FILE: " + String.join(", ", ggufs));
        }
        boolean hasSafetensors = all.stream().anyMatch(f -> f.path().endsWith(".safetensors"));
        List<RemoteFile> keep = new ArrayList<>();
        for (RemoteFile f : all) {
            String p = f.path();
            boolean otherWeights = p.endsWith(".bin") && p.contains("pytorch_model") || p.endsWith(".h5")
                    || p.endsWith(".msgpack") || p.endsWith(".onnx") || p.endsWith(".ot") || p.endsWith(".pt")
                    || (p.endsWith(".pth") && !p.startsWith("consolidated"));
            if (hasSafetensors && otherWeights) continue;
            keep.add(f);
        }
        return keep;
    }

    /** The repository's files at {@code revision}, from the hub's model API. */
    public List<RemoteFile> listFiles(RepoReference ref, String revision) throws IOException {
        URI uri = URI.create(config.endpoint() + "/api/models/" + ref.repoId() + "/revision/" + encode(revision) + "?blobs=true");
        HttpResponse<InputStream> response = send(uri, "GET", null, ref);
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readAllBytes();
        }
        requireSuccess(response, ref, revision, null);
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new IOException(uri + ": the hub's file list is not valid JSON: " + e.getMessage(), e);
        }
        JsonNode siblings = root.get("siblings");
        if (siblings == null || !siblings.isArray()) {
            throw new IOException(uri + ": the hub's answer has no \"siblings\" list of files");
        }
        List<RemoteFile> files = new ArrayList<>();
        for (JsonNode s : siblings) {
            String name = s.path("rfilename").asText(null);
            if (name == null) throw new IOException(uri + ": a file in \"siblings\" has no \"rfilename\"");
            ref.withFile(name); // validates the path: no "..", no absolute path
            JsonNode lfs = s.get("lfs");
            long size = lfs != null && lfs.has("size") ? lfs.get("size").asLong() : s.path("size").asLong(RemoteFile.UNKNOWN_SIZE);
            String sha = lfs != null ? normalizedSha(lfs.path("sha256").asText(null)) : null;
            files.add(new RemoteFile(name, size, sha));
        }
        return files;
    }

    /** One file's size and SHA-256 from a HEAD request on its resolve URL (the X-Linked-* headers of LFS files). */
    public RemoteFile describe(RepoReference ref, String revision) throws IOException {
        Objects.requireNonNull(ref.file(), "file");
        HttpResponse<InputStream> response = send(resolveUri(ref, revision), "HEAD", null, ref);
        response.body().close();
        requireSuccess(response, ref, revision, ref.file());
        // A redirect's own Content-Length is not the file's; only a 200's is.
        long size = linkedSize(response).orElseGet(() -> response.statusCode() == 200
                ? response.headers().firstValueAsLong("Content-Length").orElse(RemoteFile.UNKNOWN_SIZE) : RemoteFile.UNKNOWN_SIZE);
        return new RemoteFile(ref.file(), size, linkedSha(response));
    }

    /** Downloads one file into the cache (or finds it there, verified) and returns its path. */
    public Path download(RepoReference repo, String revision, RemoteFile file) throws IOException {
        RepoReference ref = repo.withFile(file.path());
        Path target = config.repoFolder(repo).resolve(file.path());
        Path part = target.resolveSibling(target.getFileName() + ".part");
        if (Files.isRegularFile(target) && matches(target, file)) {
            if (log != null) log.println(ref + ": already in " + target);
            return target;
        }
        Files.createDirectories(target.getParent());
        long expectedSize = file.size();
        for (int attempt = 1; ; attempt++) {
            long have = Files.exists(part) ? Files.size(part) : 0;
            if (expectedSize >= 0 && have > expectedSize) {
                Files.delete(part); // longer than the file: not a prefix of it
                have = 0;
            }
            if (expectedSize >= 0 && have == expectedSize) break;
            try {
                Optional<Long> total = transfer(ref, revision, part, have, expectedSize);
                if (expectedSize < 0 && total.isPresent()) expectedSize = total.get();
                if (expectedSize < 0 || Files.size(part) >= expectedSize) break;
                throw new TransferException("the server ended the response after " + Files.size(part) + " of " + expectedSize + " bytes", null);
            } catch (TransferException e) {
                long now = Files.exists(part) ? Files.size(part) : 0;
                if (attempt >= DOWNLOAD_ATTEMPTS) {
                    throw new IOException(ref + ": download interrupted after " + now + " bytes (" + e.getMessage()
                            + "); the partial file " + part + " is kept: run pull again to resume", e);
                }
                if (log != null) log.println(ref + ": connection lost after " + now + " bytes (" + e.getMessage() + "); resuming");
            }
        }
        verify(ref, part, new RemoteFile(file.path(), expectedSize, file.sha256()));
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return target;
    }

    /** A failure while bytes were flowing: worth resuming. */
    private static final class TransferException extends IOException {
        TransferException(String message, Throwable cause) { super(message, cause); }
    }

    /**
     * One GET of the file from byte {@code have} on, appended to {@code part}. Returns the file's
     * total size when the response states it.
     */
    private Optional<Long> transfer(RepoReference ref, String revision, Path part, long have, long expectedSize) throws IOException {
        HttpResponse<InputStream> response;
        try {
            response = send(resolveUri(ref, revision), "GET", have > 0 ? "bytes=" + have + "-" : null, ref);
        } catch (IOException e) {
            throw new TransferException(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), e);
        }
        int status = response.statusCode();
        long start;
        Optional<Long> total;
        if (status == 206) {
            String range = response.headers().firstValue("Content-Range").orElse("");
            Matcher m = CONTENT_RANGE.matcher(range);
            if (!m.matches() || Long.parseLong(m.group(1)) != have) {
                response.body().close();
                throw new IOException(ref + ": asked for bytes from " + have + ", the server answered Content-Range \"" + range + "\"");
            }
            start = have;
            total = m.group(3).equals("*") ? Optional.empty() : Optional.of(Long.parseLong(m.group(3)));
        } else if (status == 200) {
            start = 0; // the server ignored the range: start over
            total = response.headers().firstValueAsLong("Content-Length").stream().boxed().findFirst();
        } else if (status == 416 && have > 0 && expectedSize < 0) {
            response.body().close();
            return Optional.of(have); // nothing left to send: the partial file is whole
        } else {
            response.body().close();
            requireSuccess(response, ref, revision, ref.file());
            throw new IOException(ref + ": unexpected HTTP status " + status);
        }
        long totalBytes = total.orElse(expectedSize);
        DownloadProgress progress = new DownloadProgress(log, ref.file(), totalBytes, start);
        long done = start;
        try (InputStream in = response.body();
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     start == 0 ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND)) {
            byte[] buffer = new byte[COPY_BUFFER];
            while (true) {
                int n;
                try {
                    n = in.read(buffer);
                } catch (IOException e) {
                    throw new TransferException(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), e);
                }
                if (n < 0) break;
                out.write(buffer, 0, n);
                done += n;
                progress.update(done);
            }
        } finally {
            progress.finish(done);
        }
        return total;
    }

    /** Size and SHA-256 checks; a file that fails them is deleted. */
    private static void verify(RepoReference ref, Path part, RemoteFile expected) throws IOException {
        long size = Files.size(part);
        if (expected.size() >= 0 && size != expected.size()) {
            Files.delete(part);
            throw new IOException(ref + ": downloaded " + size + " bytes, expected " + expected.size() + "; the file was deleted");
        }
        if (expected.sha256() != null) {
            String actual = sha256(part);
            if (!actual.equals(expected.sha256())) {
                Files.delete(part);
                throw new IOException(ref + ": SHA-256 mismatch: expected " + expected.sha256() + ", found " + actual
                        + "; the corrupt download was deleted");
            }
        }
    }

    private static boolean matches(Path local, RemoteFile remote) throws IOException {
        if (remote.size() >= 0 && Files.size(local) != remote.size()) return false;
        return remote.sha256() == null || sha256(local).equals(remote.sha256());
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always provides SHA-256", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[COPY_BUFFER];
            for (int n; (n = in.read(buffer)) > 0; ) digest.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Sends a request, following redirects; the token goes only to the hub's own host. */
    private HttpResponse<InputStream> send(URI uri, String method, String range, RepoReference ref) throws IOException {
        URI current = uri;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(current).method(method, HttpRequest.BodyPublishers.noBody())
                    .header("User-Agent", "llama2j");
            if (range != null) request.header("Range", range);
            if (config.token() != null && sameOrigin(current, config.endpoint())) {
                request.header("Authorization", "Bearer " + config.token());
            }
            HttpResponse<InputStream> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(ref + ": interrupted", e);
            }
            int status = response.statusCode();
            if (status < 300 || status >= 400 || status == 304) return response;
            response.body().close();
            String location = response.headers().firstValue("Location")
                    .orElseThrow(() -> new IOException(ref + ": HTTP " + status + " redirect without a Location from " + uri));
            if (method.equals("HEAD") && hasLinkedHeaders(response)) {
                return response; // the hub's redirect to the CDN already says what the file is
            }
            current = current.resolve(location);
        }
        throw new IOException(ref + ": more than " + MAX_REDIRECTS + " redirects from " + uri);
    }

    private static boolean hasLinkedHeaders(HttpResponse<?> r) {
        return r.headers().firstValue("X-Linked-Size").isPresent() || r.headers().firstValue("X-Linked-Etag").isPresent();
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort();
    }

    /** Turns the hub's error statuses into messages that say what to do. */
    private void requireSuccess(HttpResponse<?> response, RepoReference ref, String revision, String file) throws IOException {
        int status = response.statusCode();
        if (status >= 200 && status < 400) return;
        String what = file == null ? ref.repoId() + " at revision " + revision : file + " in " + ref.repoId() + " at revision " + revision;
        switch (status) {
            case 401, 403 -> {
                if (config.token() == null) {
                    throw new IOException(what + ": access denied (HTTP " + status + "): the repository is gated or private."
                            + " Accept its license on " + config.endpoint() + "/" + ref.repoId() + " and set "
                            + HubConfig.TOKEN_VARIABLE + " to an access token (" + config.endpoint() + "/settings/tokens)");
                }
                throw new IOException(what + ": access denied (HTTP " + status + ") with the token in " + HubConfig.TOKEN_VARIABLE
                        + ": check that it is valid and that its account has accepted the license on "
                        + config.endpoint() + "/" + ref.repoId());
            }
            case 404 -> throw new IOException(what + ": not found (HTTP 404): check the repository, file and revision names");
            default -> throw new IOException(what + ": the hub answered HTTP " + status);
        }
    }

    private URI resolveUri(RepoReference ref, String revision) {
        StringBuilder path = new StringBuilder();
        for (String part : ref.file().split("/")) path.append('/').append(encode(part));
        return URI.create(config.endpoint() + "/" + ref.repoId() + "/resolve/" + encode(revision) + path);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static Optional<Long> linkedSize(HttpResponse<?> r) {
        return r.headers().firstValue("X-Linked-Size").map(v -> {
            try {
                return Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                return null;
            }
        });
    }

    /** X-Linked-Etag is the LFS object's SHA-256, quoted (and possibly marked weak). */
    private static String linkedSha(HttpResponse<?> r) {
        return r.headers().firstValue("X-Linked-Etag").map(HubClient::normalizedSha).orElse(null);
    }

    private static String normalizedSha(String etag) {
        if (etag == null) return null;
        String v = etag.trim();
        if (v.startsWith("W/")) v = v.substring(2);
        v = v.replace("\"", "").toLowerCase(java.util.Locale.ROOT);
        return SHA256_HEX.matcher(v).matches() ? v : null;
    }
}
