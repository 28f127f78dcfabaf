package io.llama2j.hub;

import java.util.regex.Pattern;

/**
 * "OWNER/REPO" or "OWNER/REPO/FILE" (FILE may contain folders), as given to {@code llama2j pull}
 * and to {@code -m}. Names are checked against the hub's rules so that a reference can never
 * climb out of the cache folder.
 *
 * @param owner user or organisation
 * @param name  repository name
 * @param file  a file in the repository, or null for the whole repository
 */
public record RepoReference(String owner, String name, String file) {
    /** The hub's repository and owner names: letters, digits, '-', '_', '.'; not starting with '.' or '-'. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,95}");

    public RepoReference {
        if (!NAME.matcher(owner).matches() || !NAME.matcher(name).matches() || name.endsWith(".git")) {
            throw new IllegalArgumentException("\"" + owner + "/" + name + "\" is not a Hugging Face repository name (OWNER/REPO)");
        }
        if (file != null) {
            if (file.isEmpty() || file.startsWith("/") || file.contains("\\")) {
                throw new IllegalArgumentException("\"" + file + "\" is not a file path inside a repository");
            }
            for (String part : file.split("/", -1)) {
                if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                    throw new IllegalArgumentException("\"" + file + "\" is not a file path inside a repository");
                }
            }
        }
    }

    /** Parses OWNER/REPO or OWNER/REPO/FILE. */
    public static RepoReference parse(String text) {
        String[] parts = text.split("/", 3);
        if (parts.length < 2) {
            throw new IllegalArgumentException("\"" + text + "\" is not OWNER/REPO or OWNER/REPO/FILE");
        }
        return new RepoReference(parts[0], parts[1], parts.length == 3 ? parts[2] : null);
    }

    /** Whether {@code text} has the shape of a reference (it may still name nothing). */
    public static boolean looksLike(String text) {
        try {
            parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    public String repoId() { return owner + "/" + name; }

    public RepoReference withFile(String f) { return new RepoReference(owner, name, f); }

    @Override
    public String toString() { return file == null ? repoId() : repoId() + "/" + file; }
}
