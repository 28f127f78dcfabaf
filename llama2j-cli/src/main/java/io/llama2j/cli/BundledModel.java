package io.llama2j.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The model that ships in the repository, models/llama2j-chat.gguf (MODEL_CARD.md): the one that
 * {@code generate}, {@code chat}, {@code serve}, {@code bench}, {@code perplexity} and
 * {@code inspect} use when -m is left out, so that the README's first command needs no download.
 * It is found relative to the install, the repository folder that holds ./llama2j: the
 * {@value #HOME_PROPERTY} system property (./llama2j sets it), else the {@value #HOME_ENV}
 * environment variable, else the repository the running jar was built in
 * (llama2j-cli/target/llama2j.jar), else the working directory.
 */
final class BundledModel {
    private BundledModel() {}

    /** The model file, relative to the install folder. */
    static final Path RELATIVE_PATH = Path.of("models", "llama2j-chat.gguf");
    static final String HOME_PROPERTY = "llama2j.home";
    static final String HOME_ENV = "LLAMA2J_HOME";

    /** {@code model} when given, else the bundled model; an IllegalArgumentException names where it was looked for. */
    static Path orBundled(Path model) {
        return model != null ? model : firstExisting(candidates());
    }

    /** The first of {@code candidates} that is a file; an IllegalArgumentException names them all when none is. */
    static Path firstExisting(List<Path> candidates) {
        for (Path candidate : candidates) {
            if (Files.isRegularFile(candidate)) return candidate;
        }
        throw new IllegalArgumentException("no -m given and the bundled model is missing: expected " + candidates.getFirst()
                + (candidates.size() > 1 ? " (also looked at " + String.join(", ", candidates.subList(1, candidates.size())
                .stream().map(Path::toString).toList()) + ")" : "")
                + "; rebuild it with scripts/build-bundled-model.sh or pass -m MODEL");
    }

    /** Where the bundled model may be, most specific first. */
    static List<Path> candidates() {
        List<Path> homes = new ArrayList<>();
        String property = System.getProperty(HOME_PROPERTY);
        if (property != null && !property.isBlank()) homes.add(Path.of(property));
        String env = System.getenv(HOME_ENV);
        if (env != null && !env.isBlank()) homes.add(Path.of(env));
        Path jarRepository = jarRepository();
        if (jarRepository != null) homes.add(jarRepository);
        homes.add(Path.of(""));
        return homes.stream().map(h -> h.resolve(RELATIVE_PATH).toAbsolutePath().normalize()).distinct().toList();
    }

    /** The repository folder when this class runs from llama2j-cli/target (the jar or the classes folder), else null. */
    private static Path jarRepository() {
        try {
            var source = BundledModel.class.getProtectionDomain().getCodeSource();
            if (source == null) return null;
            Path location = Path.of(source.getLocation().toURI()).toAbsolutePath();
            Path target = location.getParent();
            if (target == null || !target.getFileName().toString().equals("target")) return null;
            Path module = target.getParent();
            return module == null ? null : module.getParent();
        } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
            return null;
        }
    }
}
