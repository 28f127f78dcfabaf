package io.llama2j.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a vocabulary as a Hugging Face {@code tokenizer.json}, laid out as the one shipped with
 * Llama-2-*-hf: BPE with byte_fallback, normalizer Prepend("▁") + Replace(" ", "▁"), the
 * ByteFallback decoder, BOS added by the post-processor. Merges are derived as transformers'
 * {@code SpmConverter} does (convert_slow_tokenizer.py): every split of a piece into two
 * vocabulary pieces is a merge; merges of one piece are ordered by the ids of their halves, and
 * all merges by the piece's score, best first (a stable sort, so pieces keep id order on ties).
 */
public final class TokenizerJsonWriter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SPACE_SYMBOL = "\u2581";
    /** The normalizer pattern that marks SentencePiece's remove_extra_whitespaces. */
    static final String REPEATED_SPACES = " {2,}";

    private TokenizerJsonWriter() {}

    public static void write(Vocabulary vocabulary, Path file) throws IOException {
        Files.write(file, toJson(vocabulary));
    }

    public static byte[] toJson(Vocabulary v) {
        if (!v.normalization().escapeWhitespaces()) {
            throw new IllegalArgumentException(v.source() + ": tokenizer.json here always writes spaces as '\u2581'; "
                    + "this vocabulary keeps them (escape_whitespaces=false)");
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < v.size(); id++) {
            PieceType type = v.types()[id];
            if (type == PieceType.CONTROL || type == PieceType.UNKNOWN || type == PieceType.USER_DEFINED) {
                ObjectNode token = added.addObject();
                token.put("id", id);
                token.put("content", v.pieces()[id]);
                token.put("single_word", false);
                token.put("lstrip", false);
                token.put("rstrip", false);
                token.put("normalized", type == PieceType.USER_DEFINED);
                token.put("special", type != PieceType.USER_DEFINED);
            }
        }
        ObjectNode normalizer = root.putObject("normalizer");
        normalizer.put("type", "Sequence");
        ArrayNode normalizers = normalizer.putArray("normalizers");
        if (v.normalization().removeExtraWhitespaces()) {
            // SentencePiece's remove_extra_whitespaces touches only ' ': strip it at both ends and
            // collapse runs (HF's Strip normalizer would strip every kind of whitespace).
            regexReplace(normalizers, "^ +", "");
            regexReplace(normalizers, " +$", "");
            regexReplace(normalizers, REPEATED_SPACES, " ");
        }
        if (v.normalization().addDummyPrefix()) {
            normalizers.addObject().put("type", "Prepend").put("prepend", SPACE_SYMBOL);
        }
        ObjectNode replace = normalizers.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", " ");
        replace.put("content", SPACE_SYMBOL);
        root.putNull("pre_tokenizer");
        root.set("post_processor", postProcessor(v));
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "Sequence");
        ArrayNode decoders = decoder.putArray("decoders");
        ObjectNode unescape = decoders.addObject().put("type", "Replace");
        unescape.putObject("pattern").put("String", SPACE_SYMBOL);
        unescape.put("content", " ");
        decoders.addObject().put("type", "ByteFallback");
        decoders.addObject().put("type", "Fuse");
        if (v.normalization().addDummyPrefix()) {
            decoders.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        }
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", v.pieces()[v.unkId()]);
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", true);
        model.put("byte_fallback", v.byteFallback());
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < v.size(); id++) vocab.put(v.pieces()[id], id);
        ArrayNode merges = model.putArray("merges");
        boolean arrayForm = TokenizerJsonReader.containsSpace(v.pieces());
        for (String[] merge : merges(v)) {
            if (arrayForm) merges.addArray().add(merge[0]).add(merge[1]);
            else merges.add(merge[0] + " " + merge[1]);
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise tokenizer.json: " + e.getMessage(), e);
        }
    }

    private static void regexReplace(ArrayNode normalizers, String regex, String content) {
        ObjectNode replace = normalizers.addObject().put("type", "Replace");
        replace.putObject("pattern").put("Regex", regex);
        replace.put("content", content);
    }

    private static ObjectNode postProcessor(Vocabulary v) {
        ObjectNode post = JSON.createObjectNode();
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        ArrayNode pair = post.putArray("pair");
        ObjectNode special = JSON.createObjectNode();
        if (v.bosId() >= 0) {
            String bos = v.pieces()[v.bosId()];
            single.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
            pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
            ObjectNode entry = special.putObject(bos);
            entry.put("id", bos);
            entry.putArray("ids").add(v.bosId());
            entry.putArray("tokens").add(bos);
        }
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        if (v.bosId() >= 0) {
            pair.addObject().putObject("SpecialToken").put("id", v.pieces()[v.bosId()]).put("type_id", 1);
        }
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        post.set("special_tokens", special);
        return post;
    }

    /** SpmConverter's merges: (left, right) pairs, best merged-piece score first. */
    static List<String[]> merges(Vocabulary v) {
        Map<String, Integer> idOf = new HashMap<>();
        for (int id = 0; id < v.size(); id++) idOf.putIfAbsent(v.pieces()[id], id);
        record Merge(String left, String right, float score, int leftId, int rightId) {}
        List<Merge> all = new ArrayList<>();
        for (int id = 0; id < v.size(); id++) {
            String piece = v.pieces()[id];
            List<Merge> local = new ArrayList<>();
            // Split at code point boundaries, as Python indexes strings.
            for (int split = piece.offsetByCodePoints(0, 1); split < piece.length();
                 split = piece.offsetByCodePoints(split, 1)) {
                Integer left = idOf.get(piece.substring(0, split));
                Integer right = idOf.get(piece.substring(split));
                if (left != null && right != null) {
                    local.add(new Merge(piece.substring(0, split), piece.substring(split), v.scores()[id], left, right));
                }
            }
            local.sort(Comparator.comparingInt(Merge::leftId).thenComparingInt(Merge::rightId));
            all.addAll(local);
        }
        all.sort(Comparator.comparingDouble((Merge m) -> m.score()).reversed());
        return all.stream().map(m -> new String[] {m.left(), m.right()}).toList();
    }
}
