package io.llama2j.cli;

import io.llama2j.chat.ChatTemplates;
import io.llama2j.tensor.GgmlType;
import io.llama2j.convert.ModelConverter;
import io.llama2j.train.Checkpoint;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.export.ModelExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code llama2j export}: writes the model of a training checkpoint as GGUF, a Hugging Face
 * folder or a llama2.c .bin. Example:
 * {@code llama2j export --checkpoint run/ --tokenizer tok512.model --format gguf --type Q8_0 --chat-template llama2 -o model.gguf}
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export a trained model (checkpoint.bin of llama2j pretrain) for inference, through llama2j convert's writers.")
public final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR|FILE", description = "A pretrain output folder or its checkpoint.bin.")
    Path checkpoint;

    @Option(names = {"-z", "--tokenizer"}, required = true, description = "The tokenizer the training data was prepared with.")
    Path tokenizer;

    @Option(names = "--format", defaultValue = "gguf", description = "gguf, hf (safetensors), llama2c or meta (default ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--type", defaultValue = "F32", description = "Weight type: F32, F16, BF16, or Q8_0 / Q4_0 for gguf (default ${DEFAULT-VALUE}).")
    String type;

    @Option(names = {"-o", "--output"}, required = true, description = "Output file (gguf, llama2c) or folder (hf).")
    Path output;

    @Option(names = "--name", description = "GGUF general.name (default: the output file's name without extension).")
    String name;

    @Option(names = "--chat-template", paramLabel = "NAME",
            description = "Store a chat template in the GGUF metadata (tokenizer.chat_template): llama2 (Meta's format, the one llama2j chat uses).")
    String chatTemplate;

    @Override
    public Integer call() throws Exception {
        Path file = Files.isDirectory(checkpoint) ? checkpoint.resolve(Checkpoint.FILE_NAME) : checkpoint;
        Checkpoint c = Checkpoint.read(file);
        ModelParameters params = new ModelParameters(c.model(), c.tiedEmbeddings());
        System.arraycopy(c.parameters(), 0, params.values(), 0, params.size());
        GgmlType storage;
        try {
            storage = GgmlType.valueOf(type.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown --type " + type + "; expected F32, F16, BF16, Q8_0 or Q4_0");
        }
        String template = chatTemplate == null ? null : ChatTemplates.named(chatTemplate);
        var options = new ModelConverter.Options(ModelConverter.parseFormat(format), storage, 1, name, template);
        var notes = ModelExport.export(params, tokenizer, options, output);
        var err = spec.commandLine().getErr();
        notes.forEach(n -> err.println("export: note: " + n));
        err.println(String.format(Locale.ROOT, "export: step %d model (%,d parameters) written to %s", c.step(), params.size(), output));
        return 0;
    }
}
