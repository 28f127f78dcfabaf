package io.llama2j.cli;

import io.llama2j.hub.HubClient;
import io.llama2j.hub.HubConfig;
import io.llama2j.hub.RepoReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * `llama2j pull`: downloads a model from the Hugging Face hub into the cache, after which
 * {@code -m OWNER/REPO} (or OWNER/REPO/FILE) works in every command. The local paths go to
 * stdout, the progress to stderr.
 */
@Command(name = "pull", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Download model files from the Hugging Face hub into the cache (~/.cache/llama2j/OWNER/REPO,",
                "or $LLAMA2J_CACHE), resuming partial downloads and checking size and SHA-256.",
                "Gated repositories (meta-llama/...) need HF_TOKEN; HF_ENDPOINT changes the hub.",
                "Afterwards -m OWNER/REPO or -m OWNER/REPO/FILE works in every command."})
public final class PullCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /** HF_ENDPOINT, LLAMA2J_CACHE and HF_TOKEN come from here (tests give their own). */
    private final Map<String, String> environment;

    public PullCommand() {
        this(System.getenv());
    }

    PullCommand(Map<String, String> environment) {
        this.environment = environment;
    }

    @Parameters(index = "0", paramLabel = "OWNER/REPO[/FILE]",
            description = "A repository (its model files) or one file in it, e.g. karpathy/tinyllamas/stories260K/stories260K.bin.")
    String reference;

    @Option(names = "--revision", defaultValue = HubClient.DEFAULT_REVISION, description = "Branch, tag or commit (default: ${DEFAULT-VALUE}).")
    String revision;

    @Override
    public Integer call() throws Exception {
        RepoReference ref;
        try {
            ref = RepoReference.parse(reference);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (revision.isBlank()) throw new ParameterException(spec.commandLine(), "--revision must not be empty");
        HubConfig config = HubConfig.fromEnvironment(environment);
        List<Path> paths = new HubClient(config, spec.commandLine().getErr()).pull(ref, revision);
        for (Path p : paths) spec.commandLine().getOut().println(p);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
