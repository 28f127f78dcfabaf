package io.llama2j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads a Hugging Face {@code tokenizer.json} of a SentencePiece BPE vocabulary, as shipped with
 * Llama-2-*-hf (or written by {@link TokenizerJsonWriter}): a BPE model with vocab, merges and
 * byte_fallback, and either the normalizer Prepend("▁") + Replace(" ", "▁") or a Metaspace
 * pre-tokenizer.
 *
 * <p>tokenizer.json has no piece scores. HF's SpmConverter lists, for every piece, each split into
 * two vocabulary pieces, sorted by the piece's score, best first; so the rank of the first merge
 * that produces a piece orders pieces as their scores did, and a piece's score here is minus that
 * rank. Pieces no merge produces score below all of them. Encoding then follows SentencePiece
 * (the best-scoring adjacent concatenation, leftmost on ties), which is what the vocabulary was
 * trained for.
 */
public final class TokenizerJsonReader {
    private static final char SPACE_SYMBOL = '\u2581';
    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerJsonReader() {}

    public static Vocabulary read(Path file) throws IOException {
        return parse(Files.readAllBytes(file), file.toString());
    }

    public static Vocabulary parse(byte[] bytes, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new TokenizerFormatException(source + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new TokenizerFormatException(source + ": expected a JSON object at the top level");
        }
        JsonNode model = root.path("model");
        if (!model.isObject()) throw new TokenizerFormatException(source + ": no \"model\" object");
        String type = model.path("type").asText("");
        if (!type.equals("BPE")) {
            throw new TokenizerFormatException(source + ": model.type is \"" + type + "\", only \"BPE\" is supported");
        }
        JsonNode vocab = model.path("vocab");
        if (!vocab.isObject()) throw new TokenizerFormatException(source + ": model.vocab is not an object");
        int n = vocab.size();
        JsonNode added = root.path("added_tokens");
        if (!added.isMissingNode() && !added.isNull() && !added.isArray()) {
            throw new TokenizerFormatException(source + ": added_tokens is not an array");
        }
        String[] pieces = new String[n];
        for (var field : (Iterable<Map.Entry<String, JsonNode>>) vocab::fields) {
            int id = requireId(field.getValue(), n, source, "model.vocab[\"" + field.getKey() + "\"]");
            if (pieces[id] != null) {
                throw new TokenizerFormatException(source + ": model.vocab gives id " + id + " to both \""
                        + pieces[id] + "\" and \"" + field.getKey() + "\"");
            }
            pieces[id] = field.getKey();
        }
        Map<String, Integer> idOf = new HashMap<>();
        for (int id = 0; id < n; id++) idOf.put(pieces[id], id);

        boolean byteFallback = model.path("byte_fallback").asBoolean(false);
        PieceType[] types = new PieceType[n];
        for (int id = 0; id < n; id++) {
            types[id] = byteFallback && Vocabulary.byteValue(pieces[id]) >= 0 ? PieceType.BYTE : PieceType.NORMAL;
        }
        if (added.isArray()) {
            for (JsonNode token : added) {
                String where = "added_tokens entry " + token.path("content").asText("?");
                int id = requireId(token.path("id"), n, source, where + " id");
                if (!pieces[id].equals(token.path("content").asText())) {
                    throw new TokenizerFormatException(source + ": " + where + " has id " + id
                            + " but model.vocab gives that id to \"" + pieces[id] + "\"");
                }
                types[id] = token.path("special").asBoolean(false) ? PieceType.CONTROL : PieceType.USER_DEFINED;
            }
        }
        JsonNode unkNode = model.path("unk_token");
        if (!unkNode.isTextual() || !idOf.containsKey(unkNode.asText())) {
            throw new TokenizerFormatException(source + ": model.unk_token " + unkNode
                    + " is not in model.vocab (SentencePiece vocabularies always have one)");
        }
        int unkId = idOf.get(unkNode.asText());
        types[unkId] = PieceType.UNKNOWN;

        float[] scores = scoresFromMerges(model.path("merges"), idOf, n, source);
        int bosId = idOf.getOrDefault("<s>", -1);
        int eosId = idOf.getOrDefault("</s>", -1);
        return new Vocabulary(source, pieces, scores, types, unkId, bosId, eosId, normalization(root, source),
                byteFallback, Vocabulary.DEFAULT_UNK_SURFACE, true);
    }

    private static int requireId(JsonNode node, int size, String source, String where) {
        if (!node.canConvertToInt() || !node.isIntegralNumber() || node.asInt() < 0 || node.asInt() >= size) {
            throw new TokenizerFormatException(source + ": " + where + " is " + node
                    + ", expected an id in 0.." + (size - 1));
        }
        return node.asInt();
    }

    private static float[] scoresFromMerges(JsonNode merges, Map<String, Integer> idOf, int n, String source) {
        if (!merges.isArray()) throw new TokenizerFormatException(source + ": model.merges is not an array");
        float[] scores = new float[n];
        boolean[] scored = new boolean[n];
        int rank = 0;
        for (JsonNode merge : merges) {
            String left;
            String right;
            if (merge.isTextual()) {
                // The older format: "left right" (pieces never contain a space; they use '▁').
                String text = merge.asText();
                int space = text.indexOf(' ');
                if (space < 0 || text.indexOf(' ', space + 1) >= 0) {
                    throw new TokenizerFormatException(source + ": merge " + rank + " is \"" + text
                            + "\", expected two pieces separated by one space");
                }
                left = text.substring(0, space);
                right = text.substring(space + 1);
            } else if (merge.isArray() && merge.size() == 2 && merge.get(0).isTextual() && merge.get(1).isTextual()) {
                left = merge.get(0).asText();
                right = merge.get(1).asText();
            } else {
                throw new TokenizerFormatException(source + ": merge " + rank + " is " + merge
                        + ", expected \"left right\" or [\"left\", \"right\"]");
            }
            Integer merged = idOf.get(left + right);
            if (!idOf.containsKey(left) || !idOf.containsKey(right) || merged == null) {
                throw new TokenizerFormatException(source + ": merge " + rank + " (" + left + " " + right
                        + ") joins pieces that are not all in model.vocab");
            }
            if (!scored[merged]) {
                scored[merged] = true;
                scores[merged] = -rank;
            }
            rank++;
        }
        for (int id = 0; id < n; id++) {
            if (!scored[id]) scores[id] = -(float) rank - id;
        }
        return scores;
    }

    /**
     * Prepend("▁") or a prefixing Metaspace means a dummy prefix; Replace(" ", "▁") or Metaspace
     * escapes spaces; Replace(Regex(" {2,}")), as {@link TokenizerJsonWriter} writes it, means
     * remove_extra_whitespaces.
     */
    private static Vocabulary.Normalization normalization(JsonNode root, String source) {
        boolean[] prefixAndEscape = new boolean[3];
        visit(root.path("normalizer"), prefixAndEscape);
        visit(root.path("pre_tokenizer"), prefixAndEscape);
        if (!prefixAndEscape[1]) {
            throw new TokenizerFormatException(source + ": neither the normalizer nor the pre_tokenizer turns spaces"
                    + " into '\u2581' (expected Replace(\" \", \"\u2581\") or Metaspace, as SentencePiece vocabularies use)");
        }
        return new Vocabulary.Normalization(prefixAndEscape[0], prefixAndEscape[2], true);
    }

    private static void visit(JsonNode node, boolean[] prefixAndEscape) {
        if (node == null || !node.isObject()) return;
        String space = String.valueOf(SPACE_SYMBOL);
        switch (node.path("type").asText("")) {
            case "Sequence" -> {
                for (JsonNode child : node.path("normalizers")) visit(child, prefixAndEscape);
                for (JsonNode child : node.path("pretokenizers")) visit(child, prefixAndEscape);
            }
            case "Prepend" -> prefixAndEscape[0] |= node.path("prepend").asText().equals(space);
            case "Replace" -> {
                prefixAndEscape[1] |= node.path("pattern").path("String").asText().equals(" ")
                        && node.path("content").asText().equals(space);
                prefixAndEscape[2] |= node.path("pattern").path("Regex").asText()
                        .equals(TokenizerJsonWriter.REPEATED_SPACES);
            }
            case "Metaspace" -> {
                prefixAndEscape[1] = true;
                String scheme = node.path("prepend_scheme").asText("");
                prefixAndEscape[0] |= scheme.equals("first") || scheme.equals("always")
                        || (scheme.isEmpty() && node.path("add_prefix_space").asBoolean(true));
            }
            default -> { }
        }
    }

    static boolean containsSpace(String[] pieces) {
        return Arrays.stream(pieces).anyMatch(p -> p.indexOf(' ') >= 0);
    }
}
