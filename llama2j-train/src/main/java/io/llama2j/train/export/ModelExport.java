package io.llama2j.train.export;

import io.llama2j.convert.ModelConverter;
import io.llama2j.convert.SourceModel;
import io.llama2j.loading.ModelFormat;
import io.llama2j.tensor.GgmlType;
import io.llama2j.tokenizer.Tokenizer;
import io.llama2j.train.ModelParameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a trained model through the core's one converter ({@link ModelConverter}): GGUF with the
 * tokenizer's vocabulary in its metadata, a Hugging Face folder (model.safetensors, config.json,
 * the tokenizer), a llama2.c checkpoint, or a Meta folder. Each loads in the inference engine.
 */
public final class ModelExport {
    private ModelExport() {}

    /**
     * Exports {@code params} as {@code format} with matrices stored as {@code type} (F32, F16,
     * BF16, or Q8_0 / Q4_0 for GGUF) to {@code out} (a file for GGUF and llama2.c, a folder
     * otherwise); returns the converter's notes for the user.
     *
     * @param tokenizerFile the tokenizer the training data was prepared with (its vocabulary must
     *                      match the model's)
     */
    public static List<String> export(ModelParameters params, Path tokenizerFile, ModelFormat format, GgmlType type, Path out)
            throws IOException {
        return export(params, tokenizerFile, new ModelConverter.Options(format, type, 1), out);
    }

    /**
     * {@link #export(ModelParameters, Path, ModelFormat, GgmlType, Path)} with every converter
     * option (for GGUF also the model name and the chat template of its metadata).
     */
    public static List<String> export(ModelParameters params, Path tokenizerFile, ModelConverter.Options options, Path out)
            throws IOException {
        ModelFormat format = options.format();
        int vocab = Tokenizer.load(tokenizerFile).vocabSize();
        if (vocab != params.config().vocabSize()) {
            throw new IllegalArgumentException(tokenizerFile + ": the tokenizer has " + vocab + " tokens, the model "
                    + params.config().vocabSize() + " (export with the tokenizer the data was prepared with)");
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        SourceModel trained = new SourceModel(format, out, params.config(), params.toWeights(), tokenizerFile, null);
        return ModelConverter.convert(trained, out, options);
    }
}
