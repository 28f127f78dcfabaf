package io.llama2j.cli;

import io.llama2j.tokenizer.SentencePieceModelWriter;
import io.llama2j.tokenizer.train.BpeTrainer;
import io.llama2j.tokenizer.train.BpeTrainerConfig;
import io.llama2j.tokenizer.train.TrainedVocabulary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code llama2j train-tokenizer}: learns a SentencePiece BPE tokenizer.model from text files,
 * with the options llama2.c used for tok512 (see {@link BpeTrainerConfig#llama2c}).
 * Example: {@code llama2j train-tokenizer --vocab-size 512 --input stories.txt -o tok512.model}
 */
@Command(name = "train-tokenizer", mixinStandardHelpOptions = true,
        description = {"Learn a SentencePiece BPE vocabulary (tokenizer.model) from text, one sentence per line,",
                "as SentencePiece's trainer does with llama2.c's tok512 options: byte fallback, split digits,",
                "character coverage 1.0, identity normalization. Progress goes to stderr."})
public final class TrainTokenizerCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--vocab-size", required = true,
            description = "Pieces in the model, counting <unk>, <s>, </s> and the 256 byte pieces.")
    int vocabSize;

    @Option(names = "--input", required = true, arity = "1..*", paramLabel = "FILE",
            description = "Training text files, read in order.")
    List<Path> inputs;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "MODEL", description = "Where to write the model.")
    Path output;

    @Option(names = "--max-chars", paramLabel = "M", defaultValue = "0",
            description = "Read at most M characters (whole lines); 0 = all (default).")
    long maxChars;

    @Option(names = "--character-coverage", defaultValue = "1.0",
            description = "Share of character occurrences the alphabet covers (default ${DEFAULT-VALUE}).")
    float characterCoverage;

    @Override
    public Integer call() throws Exception {
        for (Path input : inputs) {
            if (!Files.isRegularFile(input)) {
                throw new NoSuchFileException(input.toString(), null, "input text not found");
            }
        }
        Path parent = output.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new NoSuchFileException(parent.toString(), null, "output folder does not exist");
        }
        BpeTrainerConfig config = BpeTrainerConfig.llama2c(vocabSize)
                .withMaxInputChars(maxChars)
                .withCharacterCoverage(characterCoverage);
        var err = spec.commandLine().getErr();
        TrainedVocabulary vocabulary = new BpeTrainer(config, message -> {
            err.println("train-tokenizer: " + message);
            err.flush();
        }).train(inputs);
        List<String> inputNames = inputs.stream().map(Path::toString).toList();
        SentencePieceModelWriter.write(output, vocabulary.vocabulary(), config.trainerSpec(inputNames));
        err.println(String.format(Locale.ROOT, "train-tokenizer: wrote %s (%d pieces)", output,
                vocabulary.vocabulary().size()));
        return 0;
    }
}
