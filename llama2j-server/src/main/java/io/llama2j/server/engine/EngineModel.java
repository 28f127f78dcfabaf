package io.llama2j.server.engine;

import io.llama2j.chat.ChatFormat;
import io.llama2j.chat.EncodedDialog;
import io.llama2j.chat.Message;
import io.llama2j.chat.Role;
import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.model.DecodeBatch;
import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.sampling.Sampler;
import io.llama2j.sampling.SamplerConfig;
import io.llama2j.tensor.ActivationPrecision;
import io.llama2j.tokenizer.StreamingDecoder;
import io.llama2j.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The served model over the llama2j engine: one immutable {@link Llama} shared by every slot,
 * one {@link InferenceState} (KV cache) per sequence, {@link Llama#decodeStep} for the slots'
 * batched steps, the engine's {@link Sampler} per request
 * and the tokenizer's streaming decoder per response.
 */
public final class EngineModel implements ServedModel, AutoCloseable {

    private final String id;
    private final Llama llama;
    private final Tokenizer tokenizer;
    private final ChatFormat chat;
    private final int contextLength;
    private final int[] stopTokens;
    /** Scratch of the batched decode step, grown to the largest batch seen; guarded by this. */
    private DecodeBatch decodeBatch;
    /** What holds the weights (memory-mapped files), released by {@link #close()}; null when nothing does. */
    private AutoCloseable weightsOwner;

    /**
     * @param contextLength positions per sequence; at most the model's trained context
     * @param stopTokens    ids that end a completion when sampled (EOS; for llama2.c
     *                      checkpoints also BOS, as run.c does)
     */
    public EngineModel(String id, Llama llama, Tokenizer tokenizer, int contextLength, int... stopTokens) {
        int trained = llama.config().contextLength();
        if (contextLength < 2 || contextLength > trained) {
            throw new IllegalArgumentException("context length (--ctx) must be in [2, " + trained
                    + "] for this model, was " + contextLength);
        }
        if (tokenizer.vocabSize() != llama.config().vocabSize()) {
            throw new IllegalArgumentException("tokenizer has " + tokenizer.vocabSize() + " tokens but the model's vocabulary is "
                    + llama.config().vocabSize());
        }
        this.id = id;
        this.llama = llama;
        this.tokenizer = tokenizer;
        this.chat = new ChatFormat(tokenizer);
        this.contextLength = contextLength;
        this.stopTokens = stopTokens.clone();
    }

    /**
     * Loads a model (any format {@link ModelLoader} reads) for serving.
     *
     * @param contextLength positions per request; null for the model's trained context
     * @param id            the id clients send as "model"; null for the file name without extension
     */
    public static EngineModel load(Path model, Path tokenizerOrNull, Integer contextLength, String id) throws IOException {
        return load(model, tokenizerOrNull, contextLength, id, null, ActivationPrecision.QUANTIZED_8BIT);
    }

    /**
     * As {@link #load(Path, Path, Integer, String)}, with a PEFT LoRA adapter folder applied
     * unmerged (null: none) and the products' activations as {@code precision} says.
     */
    public static EngineModel load(Path model, Path tokenizerOrNull, Integer contextLength, String id, Path loraOrNull,
                                   ActivationPrecision precision) throws IOException {
        LoadedModel loaded = ModelLoader.load(model, tokenizerOrNull);
        Tokenizer tokenizer = loaded.tokenizer();
        io.llama2j.lora.LoraAdapter lora = loraOrNull == null ? null
                : io.llama2j.lora.PeftAdapterFiles.read(loraOrNull, loaded.config());
        Llama llama = new Llama(loaded.config(), loaded.weights(), io.llama2j.tensor.Parallel.shared(), lora)
                .withActivationPrecision(precision);
        if (llama.productWeights().heapTooSmall()) {
            org.slf4j.LoggerFactory.getLogger("llama2j.server").warn(llama.productWeights().note());
        }
        EngineModel served = new EngineModel(id != null ? id : defaultId(model), llama, tokenizer,
                contextLength != null ? contextLength : loaded.config().contextLength(), loaded.stopTokenIds());
        served.weightsOwner = loaded;
        return served;
    }

    /** The model the slots run. */
    Llama llama() { return llama; }

    /** Releases the model files; call once no request runs any more (after the server stopped). */
    @Override
    public void close() throws Exception {
        if (weightsOwner != null) weightsOwner.close();
    }

    private static String defaultId(Path model) {
        String name = model.toAbsolutePath().normalize().getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public int[] tokenize(String text, boolean withBos) {
        return tokenizer.encode(text, withBos, false);
    }

    @Override
    public int[] encodeChat(List<ChatTurn> dialog) {
        List<Message> messages = new ArrayList<>(dialog.size());
        for (ChatTurn turn : dialog) {
            messages.add(new Message(Role.fromWireName(turn.role()), turn.content()));
        }
        EncodedDialog encoded = chat.encodePrompt(messages);
        if (encoded.hasSpecialTags()) {
            // Meta's chat_completion refuses these too (it answers ChatFormat.UNSAFE_ERROR).
            throw new IllegalArgumentException("message contents must not contain the chat tags "
                    + String.join(", ", encoded.specialTags()) + ".");
        }
        return encoded.ids();
    }

    @Override
    public boolean endsText(int token) {
        for (int stop : stopTokens) {
            if (stop == token) return true;
        }
        return false;
    }

    @Override
    public boolean isValidToken(int token) {
        return token >= 0 && token < llama.config().vocabSize();
    }

    @Override
    public TextStream newTextStream() {
        StreamingDecoder decoder = tokenizer.streamingDecoder();
        return new TextStream() {
            @Override
            public String accept(int token) {
                return decoder.accept(token);
            }

            @Override
            public String flush() {
                return decoder.flush();
            }
        };
    }

    @Override
    public ModelSequence newSequence() {
        return new EngineSequence(new InferenceState(llama.config(), contextLength, InferenceState.DEFAULT_PROMPT_BATCH));
    }

    /**
     * One {@link Llama#decodeStep} over the sequences' states. Synchronized: the step's scratch
     * ({@link DecodeBatch}) is shared and grown to the largest batch seen (at most the slots).
     */
    @Override
    public synchronized float[][] feedEach(ModelSequence[] sequences, int[] tokens) {
        InferenceState[] states = new InferenceState[sequences.length];
        for (int b = 0; b < sequences.length; b++) {
            if (!(sequences[b] instanceof EngineSequence own) || own.model() != this) {
                throw new IllegalArgumentException("sequence " + b + " was not made by this model's newSequence()");
            }
            states[b] = own.state;
        }
        if (decodeBatch == null || decodeBatch.maxSequences() < sequences.length) {
            decodeBatch = new DecodeBatch(llama.config(), Math.max(1, sequences.length));
        }
        llama.decodeStep(decodeBatch, states, tokens);
        float[][] logits = new float[states.length][];
        for (int b = 0; b < states.length; b++) logits[b] = states[b].logits();
        return logits;
    }

    /** A sequence over an {@link InferenceState} of its own (the KV cache), reused request after request. */
    private final class EngineSequence implements ModelSequence {
        private final InferenceState state;

        EngineSequence(InferenceState state) {
            this.state = state;
        }

        EngineModel model() {
            return EngineModel.this;
        }

        @Override
        public int position() {
            return state.position();
        }

        @Override
        public float[] feed(int token) {
            return llama.forward(state, token);
        }

        @Override
        public float[] feed(int[] tokens, int from, int to) {
            return llama.forward(state, java.util.Arrays.copyOfRange(tokens, from, to));
        }

        @Override
        public void reset() {
            state.rewind(0);
        }

        @Override
        public void close() {
            // The state is plain heap memory; dropping the reference frees it.
        }
    }

    @Override
    public TokenSampler newSampler(SamplingSettings settings) {
        long seed = settings.seed() != null ? settings.seed() : ThreadLocalRandom.current().nextLong();
        // OpenAI's penalties count every token of the completion so far: the window is all of it.
        SamplerConfig config = new SamplerConfig((float) settings.temperature(), 0, (float) settings.topP(), 0f, 1f,
                (float) settings.frequencyPenalty(), (float) settings.presencePenalty(), contextLength, seed);
        Sampler sampler = new Sampler(config, llama.config().vocabSize());
        return sampler::sample;
    }

    /** Mean over positions of the final-norm hidden state, L2-normalized (see ServedModel#embed). */
    @Override
    public float[] embed(int[] tokens) {
        int dim = llama.config().dim();
        InferenceState state = new InferenceState(llama.config(), Math.max(1, tokens.length), 1);
        float[] hidden = new float[dim];
        double[] sum = new double[dim];
        for (int token : tokens) {
            llama.forward(state, token);
            state.copyFinalHidden(hidden);
            for (int i = 0; i < dim; i++) sum[i] += hidden[i];
        }
        double norm = 0;
        for (double v : sum) norm += v * v;
        norm = Math.sqrt(norm);
        float[] embedding = new float[dim];
        for (int i = 0; i < dim; i++) embedding[i] = norm == 0 ? 0f : (float) (sum[i] / norm);
        return embedding;
    }
}
