package io.llama2j.hub;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where models come from and where they are kept.
 *
 * @param endpoint  the Hugging Face hub (HF_ENDPOINT; default https://huggingface.co)
 * @param cacheRoot the download cache (LLAMA2J_CACHE; default ~/.cache/llama2j): a repository's
 *                  files live in cacheRoot/OWNER/REPO/, named as in the repository
 * @param token     an access token sent as "Authorization: Bearer" to the hub (HF_TOKEN), or
 *                  null; gated repositories such as meta-llama's need one
 */
public record HubConfig(URI endpoint, Path cacheRoot, String token) {

    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    public static final String ENDPOINT_VARIABLE = "HF_ENDPOINT";
    public static final String CACHE_VARIABLE = "LLAMA2J_CACHE";
    public static final String TOKEN_VARIABLE = "HF_TOKEN";

    public HubConfig {
        if (endpoint == null || endpoint.getScheme() == null || endpoint.getHost() == null) {
            throw new IllegalArgumentException("hub endpoint must be an absolute http(s) URL, found " + endpoint);
        }
        String scheme = endpoint.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("hub endpoint must use http or https, found " + endpoint);
        }
        if (cacheRoot == null) throw new IllegalArgumentException("cache folder must be given");
        if (token != null && token.isBlank()) token = null;
    }

    /** From the environment variables HF_ENDPOINT, LLAMA2J_CACHE and HF_TOKEN, with the defaults above. */
    public static HubConfig fromEnvironment(Map<String, String> env) {
        String endpoint = env.getOrDefault(ENDPOINT_VARIABLE, DEFAULT_ENDPOINT);
        // The hub's URLs are endpoint + "/" + path; a trailing slash would double it.
        while (endpoint.endsWith("/")) endpoint = endpoint.substring(0, endpoint.length() - 1);
        String cache = env.get(CACHE_VARIABLE);
        Path root = cache != null && !cache.isBlank() ? Path.of(cache)
                : Path.of(System.getProperty("user.home"), ".cache", "llama2j");
        URI uri;
        try {
            uri = URI.create(endpoint);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(ENDPOINT_VARIABLE + " is not a URL: " + endpoint, e);
        }
        return new HubConfig(uri, root, env.get(TOKEN_VARIABLE));
    }

    /** The cache folder of a repository. */
    public Path repoFolder(RepoReference repo) {
        return cacheRoot.resolve(repo.owner()).resolve(repo.name());
    }
}
