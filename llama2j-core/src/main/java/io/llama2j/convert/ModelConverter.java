package io.llama2j.convert;

import io.llama2j.hf.HfModelWriter;
import io.llama2j.llama2c.Llama2cWriter;
import io.llama2j.loading.ModelFormat;
import io.llama2j.meta.MetaCheckpoint;
import io.llama2j.meta.MetaCheckpointWriter;
import io.llama2j.safetensors.SafetensorsDType;
import io.llama2j.tensor.GgmlType;
import io.llama2j.tokenizer.Tokenizer;
import io.llama2j.tokenizer.TokenizerJsonWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes an opened model in another layout ({@code llama2j convert}). Weights are streamed from
 * the source's mapped views and encoded per chunk, so the whole model is never on the heap.
 */
public final class ModelConverter {
    private ModelConverter() {}

    /**
     * What to write.
     *
     * @param format output layout
     * @param type   storage type of the weight matrices; null keeps the source's when the
     *               output can store it, else F32. Norm vectors stay F32 in GGUF, as llama.cpp writes them.
     * @param shards model-parallel files for Meta output (1 unless the model is split for several GPUs)
     * @param modelName    GGUF general.name; null takes the source file's name without its extension
     * @param chatTemplate GGUF tokenizer.chat_template (a Jinja template, e.g. {@code ChatTemplates.LLAMA2}); null writes none
     */
    public record Options(ModelFormat format, GgmlType type, int shards, String modelName, String chatTemplate) {
        public Options {
            if (shards < 1) throw new IllegalArgumentException("shards must be at least 1, found " + shards);
            if (modelName != null && modelName.isBlank()) throw new IllegalArgumentException("the model name is blank");
        }

        /** No name or chat template: the file name is the model's name. */
        public Options(ModelFormat format, GgmlType type, int shards) {
            this(format, type, shards, null, null);
        }
    }

    /** The output format named on the command line: gguf, safetensors (a Hugging Face folder), llama2c or meta. */
    public static ModelFormat parseFormat(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "gguf" -> ModelFormat.GGUF;
            case "safetensors", "hf" -> ModelFormat.HF_FOLDER;
            case "llama2c" -> ModelFormat.LLAMA2C;
            case "meta" -> ModelFormat.META_FOLDER;
            default -> throw new IllegalArgumentException("unknown format '" + name + "': expected gguf, safetensors, llama2c or meta");
        };
    }

    /** The format an output file's extension implies (.gguf, .bin for llama2.c), or null: folders have none. */
    public static ModelFormat formatFromExtension(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".gguf")) return ModelFormat.GGUF;
        if (lower.endsWith(".bin")) return ModelFormat.LLAMA2C;
        return null;
    }

    /** Converts {@code source} to {@code out}; returns notes for the user (what was not carried over). */
    public static List<String> convert(SourceModel source, Path out, Options options) throws IOException {
        List<String> notes = new ArrayList<>();
        GgmlType type = storageType(source, options);
        boolean tied = source.weights().output() == source.weights().tokenEmbedding();
        switch (options.format()) {
            case HF_FOLDER -> {
                HfModelWriter.write(out, source.config(), source.weights(), SafetensorsDType.of(type), null, tied);
                writeHfTokenizer(source.tokenizerSource(), out, notes);
            }
            case META_FOLDER -> {
                Path tokenizerModel = isSentencePieceModel(source.tokenizerSource()) ? source.tokenizerSource() : null;
                MetaCheckpointWriter.write(out, source.config(), source.weights(), options.shards(), type, tokenizerModel);
                if (tokenizerModel == null) {
                    notes.add("no " + MetaCheckpoint.TOKENIZER_FILE + " written: the source has no SentencePiece model"
                            + " (pass one with --tokenizer)");
                }
                if (source.config().contextLength() != io.llama2j.meta.MetaParams.LLAMA2_CONTEXT_LENGTH) {
                    notes.add("params.json cannot record the context length " + source.config().contextLength()
                            + "; Meta loaders assume " + io.llama2j.meta.MetaParams.LLAMA2_CONTEXT_LENGTH);
                }
            }
            case LLAMA2C -> {
                if (type != GgmlType.F32) {
                    throw new IllegalArgumentException("llama2.c checkpoints are float32 only; drop --type or use --type F32");
                }
                Llama2cWriter.writeV0(out, source.config(), source.weights());
                notes.add("llama2.c files hold no vocabulary: use the matching tokenizer.bin / tokenizer.model with them");
            }
            case GGUF -> GgufTarget.write(source, out, type, options, notes);
        }
        if (options.format() != ModelFormat.GGUF && (options.modelName() != null || options.chatTemplate() != null)) {
            notes.add("the model name and chat template are stored in GGUF metadata only; " + options.format() + " output has neither");
        }
        return notes;
    }

    /** The requested type, or the source's own when the output can store it, else F32. */
    public static GgmlType storageType(SourceModel source, Options options) {
        GgmlType requested = options.type();
        boolean plainOnly = options.format() != ModelFormat.GGUF;
        if (requested != null) {
            if (plainOnly && requested != GgmlType.F32 && requested != GgmlType.F16 && requested != GgmlType.BF16) {
                throw new IllegalArgumentException(options.format() + " stores F32, F16 or BF16 weights, not " + requested
                        + "; quantized types need --format gguf");
            }
            return requested;
        }
        GgmlType own = source.weights().wq()[0].type();
        if (options.format() == ModelFormat.LLAMA2C) return GgmlType.F32;
        if (own == GgmlType.F16 || own == GgmlType.BF16) return own;
        if (!plainOnly && (own == GgmlType.Q8_0 || own == GgmlType.Q4_0)) return own;
        return GgmlType.F32;
    }

    private static boolean isSentencePieceModel(Path p) {
        return p != null && p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".model");
    }

    /** tokenizer.model or tokenizer.json copied; any other vocabulary source rewritten as tokenizer.json. */
    private static void writeHfTokenizer(Path source, Path out, List<String> notes) throws IOException {
        if (source == null) {
            notes.add("no tokenizer written: the source has none (pass one with --tokenizer)");
            return;
        }
        String name = source.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".model")) {
            Files.copy(source, out.resolve("tokenizer.model"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } else if (name.endsWith(".json")) {
            Files.copy(source, out.resolve("tokenizer.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } else {
            TokenizerJsonWriter.write(Tokenizer.load(source).vocabulary(), out.resolve("tokenizer.json"));
        }
    }
}
