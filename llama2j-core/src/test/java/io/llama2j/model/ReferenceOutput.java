package io.llama2j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A reference run from ../shared/testdata/reference (layout in PROVENANCE.md): the prompt ids,
 * the logits after each of the first positions, and the greedy continuation.
 */
public record ReferenceOutput(int[] prompt, float[][] logits, int[] greedy, String greedyText) {

    public static ReferenceOutput read(Path json) throws IOException {
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        JsonNode logitsNode = root.get("logits");
        float[][] logits = new float[logitsNode.size()][];
        for (int p = 0; p < logits.length; p++) {
            JsonNode row = logitsNode.get(p);
            logits[p] = new float[row.size()];
            for (int i = 0; i < row.size(); i++) logits[p][i] = (float) row.get(i).asDouble();
        }
        JsonNode text = root.get("greedy_text");
        return new ReferenceOutput(ints(root.get("prompt")), logits, ints(root.get("greedy")), text == null ? null : text.asText());
    }

    private static int[] ints(JsonNode array) {
        int[] a = new int[array.size()];
        for (int i = 0; i < a.length; i++) a[i] = array.get(i).asInt();
        return a;
    }
}
