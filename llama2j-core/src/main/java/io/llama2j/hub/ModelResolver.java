package io.llama2j.hub;

import io.llama2j.hf.HfModel;
import io.llama2j.meta.MetaCheckpoint;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns what the user passed as a model into a path: a file or folder that exists is used as
 * it is; otherwise "OWNER/REPO" or "OWNER/REPO/FILE" names a model downloaded by
 * {@code llama2j pull} into the cache. For a whole repository, the folder is the model when it is
 * a Hugging Face or Meta checkpoint folder; otherwise its one GGUF or llama2.c file is.
 * The loaders never go to the network: a model not in the cache is an error that says how to
 * pull it.
 */
public final class ModelResolver {
    private ModelResolver() {}

    /** Resolves with the cache named by the environment (LLAMA2J_CACHE). */
    public static Path resolve(Path model) throws IOException {
        if (Files.exists(model)) return model; // a local model never depends on the hub's settings
        return resolve(model, HubConfig.fromEnvironment(System.getenv()));
    }

    public static Path resolve(Path model, HubConfig config) throws IOException {
        if (Files.exists(model)) return model;
        String text = model.toString().replace(java.io.File.separatorChar, '/');
        if (model.isAbsolute() || !RepoReference.looksLike(text)) return model; // a plain missing path: the loader says so
        RepoReference ref = RepoReference.parse(text);
        Path folder = config.repoFolder(ref);
        if (ref.file() != null) {
            Path file = folder.resolve(ref.file());
            if (Files.exists(file)) return file;
            throw notFound(model, ref, file);
        }
        if (!Files.isDirectory(folder)) throw notFound(model, ref, folder);
        if (HfModel.isModelFolder(folder) || MetaCheckpoint.isCheckpointFolder(folder)) return folder;
        List<Path> candidates = modelFilesIn(folder);
        if (candidates.size() == 1) return candidates.getFirst();
        if (candidates.isEmpty()) {
            throw new IOException(ref + ": the cached folder " + folder + " holds no model (no GGUF or llama2.c .bin file,"
                    + " no Hugging Face or Meta checkpoint)");
        }
        List<String> names = candidates.stream().map(p -> p.getFileName().toString()).toList();
        throw new IOException(ref + ": the cached folder " + folder + " holds several models; choose one with "
                + ref.repoId() + "/FILE: " + String.join(", ", names));
    }

    private static IOException notFound(Path model, RepoReference ref, Path where) {
        return new NoSuchFileException(model.toString(), null, "neither a local path nor in the model cache (" + where
                + "); download it with: llama2j pull " + ref);
    }

    /** GGUF and llama2.c checkpoint files (not tokenizers, not partial downloads), sorted. */
    private static List<Path> modelFilesIn(Path folder) throws IOException {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                boolean model = name.endsWith(".gguf") || (name.endsWith(".bin") && !name.startsWith("tok"));
                if (model && Files.isRegularFile(p)) found.add(p);
            }
        }
        found.sort(null);
        return found;
    }
}
