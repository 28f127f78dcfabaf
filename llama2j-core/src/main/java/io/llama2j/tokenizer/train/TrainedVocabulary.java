package io.llama2j.tokenizer.train;

import io.llama2j.tokenizer.Vocabulary;

import java.util.List;

/**
 * The result of {@link BpeTrainer}: the vocabulary in id order (special pieces, byte pieces,
 * merged pieces, alphabet) and what the training run saw.
 *
 * @param vocabulary   the pieces, scores and types, ready for {@code Tokenizer.of} or the writer
 * @param merges       pieces learned by merging
 * @param alphabetSize single-character pieces (the required characters)
 * @param sentences    input lines used
 * @param charsRead    characters read from the input
 * @param seconds      wall time of reading and training
 */
public record TrainedVocabulary(Vocabulary vocabulary, int merges, int alphabetSize, int sentences, long charsRead,
                                double seconds) {

    /** The piece strings in id order. */
    public List<String> texts() {
        return List.of(vocabulary.pieces());
    }
}
