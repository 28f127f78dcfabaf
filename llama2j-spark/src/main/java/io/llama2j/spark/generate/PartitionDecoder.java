package io.llama2j.spark.generate;

import io.llama2j.chat.ChatFormat;
import io.llama2j.chat.EncodedDialog;
import io.llama2j.generate.Generator;
import io.llama2j.generate.StopReason;
import io.llama2j.loading.LoadedModel;
import io.llama2j.model.DecodeBatch;
import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.sampling.Sampler;
import io.llama2j.spark.ModelCache;
import io.llama2j.spark.RowFields.InvalidRow;
import io.llama2j.tensor.Parallel;
import io.llama2j.tokenizer.StreamingDecoder;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Decodes one partition on an executor, up to {@link GenerationJobSettings#batch()} rows at a
 * time (continuous batching): each row's prompt goes through the model on its own, then every
 * decoding row takes its next token in one {@link Llama#decodeStep} (the weights are read once
 * per step for all of them), and a finished row's slot goes to the next input row. A row's tokens
 * are those of the engine's {@link Generator} loop ({@code llama2j generate}) with the same
 * seed: the step gives each sequence its own logits, bit for bit for float32 weights (to float32
 * rounding for quantized ones, see {@code decodeStep}). Rows are pulled as Spark's writer asks
 * and handed back in input order; a task holds the KV caches of at most {@code batch} rows.
 * A row that is not a valid request, or whose prompt does not fit the model, becomes an error
 * row; anything else that goes wrong fails the task, and Spark retries it.
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
        RowDecoder decoder = new RowDecoder(model, new Llama(model.config(), model.weights(), parallel), settings);
        Map<String, Integer> columns = new HashMap<>();
        String[] names = inputSchema.fieldNames();
        for (int i = 0; i < names.length; i++) columns.put(names[i], i);
        Integer corrupt = columns.get(BatchColumns.CORRUPT_RECORD);

        return new Iterator<>() {
            /** Rows read and not yet handed back, in input order; the first is handed back once finished. */
            final ArrayDeque<Slot> pending = new ArrayDeque<>();
            long rowInPartition;

            @Override
            public boolean hasNext() {
                boolean more = !pending.isEmpty() || input.hasNext();
                if (!more && task == null) parallel.close();
                return more;
            }

            @Override
            public Row next() {
                while (pending.isEmpty() || pending.peekFirst().result == null) {
                    while (decoder.hasRoom() && input.hasNext()) {
                        Row row = input.next();
                        hook.beforeRow(task, rowInPartition++);
                        Slot slot = new Slot(row);
                        pending.addLast(slot);
                        decoder.start(slot, columns);
                    }
                    if (pending.isEmpty()) throw new NoSuchElementException();
                    if (pending.peekFirst().result == null) decoder.step();
                }
                Slot done = pending.pollFirst();
                int kept = names.length - (corrupt == null ? 0 : 1);
                Object[] values = new Object[kept + done.result.length];
                for (int i = 0, k = 0; i < names.length; i++) {
                    if (corrupt == null || i != corrupt) values[k++] = done.row.get(i);
                }
                System.arraycopy(done.result, 0, values, kept, done.result.length);
                return RowFactory.create(values);
            }
        };
    }

    /** An input row and, once finished, the values of its result columns ({@link BatchColumns}). */
    static final class Slot {
        final Row row;
        Object[] result;

        Slot(Row row) { this.row = row; }
    }

    /** The rows of a task being decoded together, at most the job's batch of them. */
    static final class RowDecoder {
        private final LoadedModel model;
        private final Llama llama;
        private final GenerationJobSettings settings;
        private final ChatFormat chat;
        private final DecodeBatch batch;
        private final List<Sequence> decoding = new ArrayList<>();

        RowDecoder(LoadedModel model, Llama llama, GenerationJobSettings settings) {
            this.model = model;
            this.llama = llama;
            this.settings = settings;
            this.chat = new ChatFormat(model.tokenizer());
            this.batch = new DecodeBatch(model.config(), settings.batch());
        }

        boolean hasRoom() {
            return decoding.size() < settings.batch();
        }

        /** Reads {@code slot}'s row and runs its prompt; an invalid row is finished at once as an error row. */
        void start(Slot slot, Map<String, Integer> columns) {
            RowRequest request;
            try {
                request = RowRequest.read(slot.row, columns);
            } catch (InvalidRow e) {
                slot.result = error(null, e.getMessage());
                return;
            }
            int[] promptIds;
            if (request.prompt() != null) {
                // as `llama2j generate`: the prompt with BOS, or BOS alone for an empty prompt
                promptIds = request.prompt().isEmpty() ? new int[]{model.tokenizer().bosId()}
                        : model.tokenizer().encode(request.prompt(), true, false);
            } else {
                if (!ChatFormat.specialTagsIn(request.messages()).isEmpty()) {
                    slot.result = error(null, ChatFormat.UNSAFE_ERROR + " Found " + ChatFormat.specialTagsIn(request.messages()));
                    return;
                }
                try {
                    EncodedDialog dialog = chat.encodePrompt(request.messages());
                    promptIds = dialog.ids();
                } catch (IllegalArgumentException e) {
                    slot.result = error(null, e.getMessage());
                    return;
                }
            }
            int contextLimit = model.config().contextLength();
            if (promptIds.length > contextLimit) {
                slot.result = error(promptIds.length, "prompt of " + promptIds.length + " tokens does not fit the model's context of " + contextLimit);
                return;
            }
            int maxTokens = request.maxTokens() != null ? request.maxTokens() : settings.maxTokens();
            float temperature = request.temperature() != null ? request.temperature() : settings.temperature();
            long seed = request.seed() != null ? request.seed() : RowSeeds.derive(settings.jobSeed(), request.id());
            Sequence s = new Sequence(slot, promptIds, maxTokens, new Sampler(settings.samplerConfig(temperature, seed), model.config().vocabSize()));
            llama.forward(s.state, promptIds);
            decoding.add(s);
        }

        /**
         * Samples the next token of every decoding row, finishes the rows that stop, and runs the
         * others' tokens through the model in one batched step.
         */
        void step() {
            List<Sequence> feeding = new ArrayList<>(decoding.size());
            for (Sequence s : decoding) {
                int next = s.sampleNext();
                if (next >= 0) feeding.add(s);
            }
            decoding.retainAll(feeding);
            if (feeding.isEmpty()) return;
            InferenceState[] states = new InferenceState[feeding.size()];
            int[] tokens = new int[feeding.size()];
            for (int b = 0; b < states.length; b++) {
                states[b] = feeding.get(b).state;
                tokens[b] = feeding.get(b).lastToken;
            }
            llama.decodeStep(batch, states, tokens);
        }

        /**
         * One row being decoded: the steps of {@link Generator#generate} between two forwards,
         * with the same stop rules in the same order (token limit, stop token, stop string,
         * token limit, full context).
         */
        final class Sequence {
            final Slot slot;
            final InferenceState state;
            final int promptLength;
            final int maxTokens;
            final Sampler sampler;
            final StreamingDecoder decoder = model.tokenizer().streamingDecoder();
            final Generator.StopText stopText = new Generator.StopText(settings.stopStrings());
            /** prompt + generated, for the sampler's penalties */
            final int[] history;
            int historyLength;
            int lastToken;

            Sequence(Slot slot, int[] promptIds, int maxTokens, Sampler sampler) {
                this.slot = slot;
                this.promptLength = promptIds.length;
                this.maxTokens = maxTokens;
                this.sampler = sampler;
                int contextLength = (int) Math.min(model.config().contextLength(), (long) promptIds.length + maxTokens);
                this.state = new InferenceState(model.config(), contextLength, InferenceState.DEFAULT_PROMPT_BATCH);
                this.history = Arrays.copyOf(promptIds, promptIds.length + maxTokens);
                this.historyLength = promptIds.length;
            }

            /** Samples from the state's logits: the token to feed next, or -1 when the row is finished. */
            int sampleNext() {
                int generated = historyLength - promptLength;
                if (generated >= maxTokens) return finish(StopReason.MAX_TOKENS);
                int next = sampler.sample(state.logits(), history, historyLength);
                for (int stop : model.stopTokenIds()) {
                    if (stop == next) return finish(StopReason.STOP_TOKEN);
                }
                history[historyLength++] = next;
                generated++;
                if (stopText.append(decoder.accept(next))) return finish(StopReason.STOP_STRING);
                if (generated >= maxTokens) return finish(StopReason.MAX_TOKENS);
                if (state.position() >= state.maxSequenceLength()) return finish(StopReason.CONTEXT_FULL);
                lastToken = next;
                return next;
            }

            private int finish(StopReason reason) {
                // bytes of an unfinished UTF-8 character at the end are flushed as `generate` prints them
                String completion = reason == StopReason.STOP_STRING ? stopText.text() : stopText.text() + decoder.flush();
                slot.result = new Object[]{completion, promptLength, historyLength - promptLength, finishReason(reason), null};
                return -1;
            }
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
