package io.llama2j.hub;

/**
 * A file of a hub repository as the hub describes it.
 *
 * @param path   path inside the repository
 * @param size   bytes, or {@link #UNKNOWN_SIZE}
 * @param sha256 lower-case hex SHA-256 of the content (known for LFS files), or null
 */
public record RemoteFile(String path, long size, String sha256) {
    public static final long UNKNOWN_SIZE = -1;

    public RemoteFile {
        if (sha256 != null && !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256 of " + path + " must be 64 lower-case hex digits, found " + sha256);
        }
    }
}
