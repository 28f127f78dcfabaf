package io.llama2j.tokenizer.train;

import io.llama2j.tokenizer.SentencePieceModelWriter.Piece;

import java.util.List;

/**
 * The result of {@link BpeTrainer}: the full vocabulary in id order (special pieces, byte
 * pieces, merged pieces, alphabet) and what the training run saw.
 *
 * @param pieces         every piece, its id being its index
 * @param merges         pieces learned by merging
 * @param alphabetSize   single-character pieces (the required characters)
 * @param sentences      input lines used
 * @param charsRead      characters read from the input
 * @param seconds        wall time of reading and training
 */
public record TrainedVocabulary(List<Piece> pieces, int merges, int alphabetSize, int sentences, long charsRead,
                                double seconds) {
    public TrainedVocabulary {
        pieces = List.copyOf(pieces);
    }

    /** The piece strings in id order. */
    public List<String> texts() {
        return pieces.stream().map(Piece::text).toList();
    }
}
