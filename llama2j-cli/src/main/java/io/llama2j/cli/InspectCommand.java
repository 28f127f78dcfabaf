package io.llama2j.cli;

import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.NamedTensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** `llama2j inspect -m MODEL`: the model's configuration and a table of its tensors. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Print a model's configuration and its tensors (name, type, shape, bytes).")
public final class InspectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, description = "Model file or folder (GGUF, llama2.c .bin, ...) (default: the bundled models/llama2j-chat.gguf).")
    Path model;

    @Override
    public Integer call() throws Exception {
        model = BundledModel.orBundled(model);
        try (LoadedModel m = ModelLoader.loadWeightsOnly(model)) {
            print(m);
        }
        return 0;
    }

    private void print(LoadedModel m) {
        PrintWriter out = spec.commandLine().getOut();
        LlamaConfig c = m.config();
        out.printf("model:          %s%n", m.source());
        out.printf("format:         %s%n", m.format());
        out.printf("dim:            %d%n", c.dim());
        out.printf("hidden_dim:     %d%n", c.hiddenDim());
        out.printf("n_layers:       %d%n", c.nLayers());
        out.printf("n_heads:        %d (head size %d)%n", c.nHeads(), c.headSize());
        out.printf("n_kv_heads:     %d (%s)%n", c.nKvHeads(), c.nKvHeads() == c.nHeads() ? "MHA" : "GQA, " + c.kvGroupSize() + " query heads per kv head");
        out.printf("vocab_size:     %d%n", c.vocabSize());
        out.printf("context_length: %d%n", c.contextLength());
        out.printf("rms_norm_eps:   %s%n", c.rmsNormEps());
        out.printf("rope_theta:     %s%n", c.ropeTheta());
        out.printf("output:         %s%n", m.weights().output() == m.weights().tokenEmbedding() ? "tied to token_embd" : "separate matrix");
        var tensors = NamedTensor.list(c, m.weights());
        int nameWidth = tensors.stream().mapToInt(t -> t.name().length()).max().orElse(4);
        out.printf("%n%-" + nameWidth + "s  %-5s  %-14s  %12s%n", "name", "type", "shape", "bytes");
        long totalBytes = 0, totalParams = 0;
        for (NamedTensor t : tensors) {
            String shape = Arrays.stream(t.shape()).mapToObj(Long::toString).collect(Collectors.joining(" x "));
            long bytes = t.tensor().byteSize();
            out.printf("%-" + nameWidth + "s  %-5s  %-14s  %12d%n", t.name(), t.tensor().type(), shape, bytes);
            totalBytes += bytes;
            totalParams += t.tensor().size();
        }
        out.printf("%n%d tensors, %d parameters, %d bytes%n", tensors.size(), totalParams, totalBytes);
        out.flush();
    }
}
