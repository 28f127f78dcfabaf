package io.llama2j.spark.generate;

import io.llama2j.chat.ChatFormat;
import io.llama2j.chat.EncodedDialog;
import io.llama2j.generate.GenerationResult;
import io.llama2j.generate.GenerationSettings;
import io.llama2j.generate.Generator;
import io.llama2j.generate.StopReason;
import io.llama2j.loading.LoadedModel;
import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.sampling.Sampler;
import io.llama2j.spark.ModelCache;
import io.llama2j.tensor.Parallel;
import io.llama2j.tokenizer.StreamingDecoder;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Decodes one partition on an executor: the model comes from the JVM's {@link ModelCache}, rows
 * are decoded one at a time as Spark's writer pulls them (so a task holds one row's KV cache, not
 * the partition's). A row that is not a valid request, or whose prompt does not fit the model,
 * becomes an error row; anything else that goes wrong fails the task, and Spark retries it.
 */
final class PartitionDecoder implements MapPartitionsFunction<Row, Row> {
    private final StructType inputSchema;
    private final GenerationJobSettings settings;
    private final TaskHook hook;

    PartitionDecoder(StructType inputSchema, GenerationJobSettings settings, TaskHook hook) {
        this.inputSchema = inputSchema;
        this.settings = settings;
        this.hook = hook;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        LoadedModel model = ModelCache.get(settings.model(), settings.tokenizer());
        Parallel parallel = new Parallel(settings.threadsPerTask());
        TaskContext task = TaskContext.get();
        if (task != null) task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) context -> parallel.close());
        RowGenerator generator = new RowGenerator(model, new Llama(model.config(), model.weights(), parallel), settings);
        Map<String, Integer> columns = new HashMap<>();
        String[] names = inputSchema.fieldNames();
        for (int i = 0; i < names.length; i++) columns.put(names[i], i);
        Integer corrupt = columns.get(BatchColumns.CORRUPT_RECORD);

        return new Iterator<>() {
            long rowInPartition;

            @Override
            public boolean hasNext() {
                boolean more = input.hasNext();
                if (!more && task == null) parallel.close();
                return more;
            }

            @Override
            public Row next() {
                if (!input.hasNext()) throw new NoSuchElementException();
                Row row = input.next();
                hook.beforeRow(task, rowInPartition++);
                Object[] result = generator.generate(row, columns);
                int kept = names.length - (corrupt == null ? 0 : 1);
                Object[] values = new Object[kept + result.length];
                for (int i = 0, k = 0; i < names.length; i++) {
                    if (corrupt == null || i != corrupt) values[k++] = row.get(i);
                }
                System.arraycopy(result, 0, values, kept, result.length);
                return RowFactory.create(values);
            }
        };
    }

    /** The generation of one row, as the values of the result columns ({@link BatchColumns}). */
    static final class RowGenerator {
        private final LoadedModel model;
        private final Generator generator;
        private final GenerationJobSettings settings;
        private final ChatFormat chat;

        RowGenerator(LoadedModel model, Llama llama, GenerationJobSettings settings) {
            this.model = model;
            this.generator = new Generator(llama);
            this.settings = settings;
            this.chat = new ChatFormat(model.tokenizer());
        }

        Object[] generate(Row row, Map<String, Integer> columns) {
            RowRequest request;
            try {
                request = RowRequest.read(row, columns);
            } catch (io.llama2j.spark.RowFields.InvalidRow e) {
                return error(null, e.getMessage());
            }
            int[] promptIds;
            if (request.prompt() != null) {
                // as `llama2j generate`: the prompt with BOS, or BOS alone for an empty prompt
                promptIds = request.prompt().isEmpty() ? new int[]{model.tokenizer().bosId()}
                        : model.tokenizer().encode(request.prompt(), true, false);
            } else {
                if (!ChatFormat.specialTagsIn(request.messages()).isEmpty()) {
                    return error(null, ChatFormat.UNSAFE_ERROR + " Found " + ChatFormat.specialTagsIn(request.messages()));
                }
                try {
                    EncodedDialog dialog = chat.encodePrompt(request.messages());
                    promptIds = dialog.ids();
                } catch (IllegalArgumentException e) {
                    return error(null, e.getMessage());
                }
            }
            int contextLimit = model.config().contextLength();
            if (promptIds.length > contextLimit) {
                return error(promptIds.length, "prompt of " + promptIds.length + " tokens does not fit the model's context of " + contextLimit);
            }
            int maxTokens = request.maxTokens() != null ? request.maxTokens() : settings.maxTokens();
            float temperature = request.temperature() != null ? request.temperature() : settings.temperature();
            long seed = request.seed() != null ? request.seed() : RowSeeds.derive(settings.jobSeed(), request.id());
            int contextLength = (int) Math.min(contextLimit, (long) promptIds.length + maxTokens);
            InferenceState state = new InferenceState(model.config(), contextLength, InferenceState.DEFAULT_PROMPT_BATCH);
            StreamingDecoder decoder = model.tokenizer().streamingDecoder();
            GenerationSettings generation = new GenerationSettings(maxTokens, model.stopTokenIds(), settings.stopStrings(), null);
            GenerationResult r = generator.generate(state, promptIds,
                    new Sampler(settings.samplerConfig(temperature, seed), model.config().vocabSize()), generation,
                    decoder::accept, (id, text) -> {});
            // bytes of an unfinished UTF-8 character at the end are flushed as `generate` prints them
            String completion = r.stopReason() == StopReason.STOP_STRING ? r.text() : r.text() + decoder.flush();
            return new Object[]{completion, r.promptTokens(), r.tokens().length, finishReason(r.stopReason()), null};
        }

        private static Object[] error(Integer promptTokens, String reason) {
            return new Object[]{null, promptTokens, null, BatchColumns.FINISH_ERROR, reason};
        }

        /** OpenAI's names, as the server uses: "stop" for a stop token or string, "length" for a limit. */
        static String finishReason(StopReason reason) {
            return switch (reason) {
                case STOP_TOKEN, STOP_STRING -> BatchColumns.FINISH_STOP;
                case MAX_TOKENS, CONTEXT_FULL -> BatchColumns.FINISH_LENGTH;
                case CANCELLED -> throw new IllegalStateException("batch generation is never cancelled");
            };
        }
    }
}
