package io.llama2j.cli;

import io.llama2j.tokenizer.Tokenizer;
import io.llama2j.train.data.DatasetPreparer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code llama2j prepare}: tokenizes text or JSONL into token shards for {@code pretrain}.
 * Example: {@code llama2j prepare --tokenizer tok512.model --input stories.txt -o data/ --val-fraction 0.05}
 */
@Command(name = "prepare", mixinStandardHelpOptions = true,
        description = {"Tokenize text into training shards (uint16 ids when the vocabulary fits, else uint32).",
                "Documents: the blank-line-separated paragraphs of .txt files, the \"text\" of each .jsonl line;",
                "each starts with BOS. Every k-th document goes to the validation split."})
public final class PrepareCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-z", "--tokenizer"}, required = true, description = "Tokenizer (tokenizer.model, .json, .bin or .gguf).")
    Path tokenizer;

    @Option(names = "--input", required = true, arity = "1..*", paramLabel = "FILE|DIR",
            description = "Text (.txt) or JSONL ({\"text\": ...}) files, or folders of them.")
    List<Path> inputs;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "Folder for the shards.")
    Path output;

    @Option(names = "--val-fraction", defaultValue = "0.05", paramLabel = "F",
            description = "Share of documents held out for validation (default ${DEFAULT-VALUE}).")
    double validationFraction;

    @Option(names = "--shard-tokens", paramLabel = "N", description = "Tokens per shard file (default 64M).")
    Integer shardTokens;

    @Override
    public Integer call() throws Exception {
        Tokenizer t = Tokenizer.load(tokenizer);
        var preparer = new DatasetPreparer(t, validationFraction, shardTokens != null ? shardTokens : DatasetPreparer.DEFAULT_SHARD_TOKENS);
        var s = preparer.prepare(inputs, output);
        spec.commandLine().getErr().println(String.format(Locale.ROOT,
                "prepare: %d documents -> %d train tokens (%d shards), %d validation tokens (%d shards) in %s",
                s.documents(), s.trainTokens(), s.trainShards(), s.validationTokens(), s.validationShards(), output));
        return 0;
    }
}
