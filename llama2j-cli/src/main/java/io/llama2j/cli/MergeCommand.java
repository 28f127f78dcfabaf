package io.llama2j.cli;

import io.llama2j.convert.ModelConverter;
import io.llama2j.convert.ModelReaders;
import io.llama2j.convert.SourceModel;
import io.llama2j.lora.LoraAdapter;
import io.llama2j.lora.PeftAdapterFiles;
import io.llama2j.loading.ModelFormat;
import io.llama2j.tensor.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code llama2j merge}: a base model with a LoRA adapter folded into its weights (W + (α/r)·B·A), written by the converter. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Merge a PEFT LoRA adapter into a base model and write the result (any format convert writes).",
                "Example: llama2j merge -m llama-2-7b.gguf --lora sft-out/adapter -o llama-2-7b-sft.gguf --type Q8_0"})
public final class MergeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, description = "Base model file or folder.")
    Path input;

    @Option(names = "--lora", required = true, description = "PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors).")
    Path lora;

    @Option(names = {"-o", "--output"}, required = true, description = "Output file or folder.")
    Path output;

    @Option(names = "--format", description = "gguf, safetensors, llama2c or meta (default: from -o's extension).")
    String format;

    @Option(names = "--type", description = "Weight type: F32, F16, BF16, Q8_0, Q4_0 (default: the base's when the output can hold it, else F32).")
    String type;

    @Option(names = {"-z", "--tokenizer"}, description = "Tokenizer file to use instead of the one found with the model.")
    Path tokenizer;

    @Override public Integer call() throws Exception {
        ModelFormat target = format != null ? ModelConverter.parseFormat(format)
                : ModelConverter.formatFromExtension(output.getFileName().toString());
        if (target == null) {
            throw new IllegalArgumentException("cannot tell the output format from '" + output.getFileName()
                    + "': use --format gguf|safetensors|llama2c|meta (folders have no extension)");
        }
        GgmlType storage = null;
        if (type != null) {
            try {
                storage = GgmlType.valueOf(type.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown --type '" + type + "': expected F32, F16, BF16, Q8_0 or Q4_0");
            }
        }
        long start = System.nanoTime();
        try (SourceModel base = ModelReaders.open(input, tokenizer)) {
            LoraAdapter adapter = PeftAdapterFiles.read(lora, base.config());
            // The merged projections are float32; without --type the output keeps the base's storage type.
            if (storage == null) storage = ModelConverter.storageType(base, new ModelConverter.Options(target, null, 1));
            SourceModel merged = new SourceModel(base.format(), base.path(), base.config(),
                    adapter.mergeInto(base.config(), base.weights()), base.tokenizerSource(), null);
            List<String> notes = ModelConverter.convert(merged, output, new ModelConverter.Options(target, storage, 1));
            var out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "merged %s into %s (%s) as %s: %s in %.1f s%n", adapter, input, base.format(), target, output,
                    (System.nanoTime() - start) / 1e9);
            for (String note : notes) out.println("note: " + note);
        }
        return 0;
    }
}
