package io.llama2j.train.data;

import io.llama2j.TestData;
import io.llama2j.tokenizer.Tokenizer;
import io.llama2j.train.TokenBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenDataTest {
    @TempDir
    Path dir;

    @Test
    void shardsUseUint16WhenTheVocabularyFitsAndUint32Otherwise() throws IOException {
        int[] ids = {1, 65535, 7, 2};
        TokenShard.write(dir.resolve("small.bin"), 65536, ids, ids.length);
        int[] big = {1, 69999, 65536, 2};
        TokenShard.write(dir.resolve("big.bin"), 70000, big, big.length);
        assertThat(Files.size(dir.resolve("small.bin"))).isEqualTo(TokenShard.HEADER_BYTES + 2 * 4);
        assertThat(Files.size(dir.resolve("big.bin"))).isEqualTo(TokenShard.HEADER_BYTES + 4 * 4);
        try (TokenShard s = TokenShard.open(dir.resolve("small.bin")); TokenShard b = TokenShard.open(dir.resolve("big.bin"))) {
            for (int i = 0; i < 4; i++) {
                assertThat(s.token(i)).isEqualTo(ids[i]);
                assertThat(b.token(i)).isEqualTo(big[i]);
            }
            assertThat(b.vocabSize()).isEqualTo(70000);
        }
    }

    @Test
    void corruptShardsFailWithTheFileAndWhatWasExpected() throws IOException {
        TokenShard.write(dir.resolve("ok.bin"), 512, new int[]{1, 2, 3}, 3);
        byte[] bytes = Files.readAllBytes(dir.resolve("ok.bin"));
        Files.write(dir.resolve("truncated.bin"), java.util.Arrays.copyOf(bytes, bytes.length - 1));
        bytes[0] = 'X';
        Files.write(dir.resolve("magic.bin"), bytes);
        assertThatThrownBy(() -> TokenShard.open(dir.resolve("truncated.bin"))).isInstanceOf(IOException.class)
                .hasMessageContaining("truncated.bin").hasMessageContaining("token count 3");
        assertThatThrownBy(() -> TokenShard.open(dir.resolve("magic.bin"))).isInstanceOf(IOException.class)
                .hasMessageContaining("magic.bin").hasMessageContaining("L2JT");
        assertThatThrownBy(() -> TokenShard.write(dir.resolve("bad.bin"), 512, new int[]{600}, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("600");
    }

    @Test
    void prepareEncodesEachDocumentWithBosAndHoldsOutAnEvenShare() throws IOException {
        Tokenizer tokenizer = Tokenizer.load(TestData.file("tok512.model"));
        Files.writeString(dir.resolve("a.txt"), "Once upon a time.\n\nThe cat sat.\n\n\nA dog ran.\n");
        Files.writeString(dir.resolve("b.jsonl"), "{\"text\": \"Lily was happy.\"}\n\n{\"text\": \"Tom saw a bird.\"}\n");
        DatasetPreparer.Summary s = new DatasetPreparer(tokenizer, 0.2, 1000)
                .prepare(List.of(dir.resolve("a.txt"), dir.resolve("b.jsonl")), dir.resolve("out"));
        assertThat(s.documents()).isEqualTo(5);
        try (TokenDataset train = TokenDataset.open(dir.resolve("out"), TokenDataset.TRAIN);
             TokenDataset val = TokenDataset.open(dir.resolve("out"), TokenDataset.VALIDATION)) {
            int[] expectedVal = tokenizer.encode("Tom saw a bird.", true, false); // document 4 (the 5th) at fraction 0.2
            int[] read = new int[(int) val.tokens()];
            val.read(0, 0, read, 0, read.length);
            assertThat(read).containsExactly(expectedVal);
            int[] all = new int[(int) train.tokens()];
            train.read(0, 0, all, 0, all.length);
            long bos = java.util.Arrays.stream(all).filter(t -> t == tokenizer.bosId()).count();
            assertThat(bos).isEqualTo(4);
            assertThat(all[0]).isEqualTo(tokenizer.bosId());
        }
    }

    @Test
    void jsonlLinesWithoutTextAreRejectedWithTheirLineNumber() throws IOException {
        Tokenizer tokenizer = Tokenizer.load(TestData.file("tok512.model"));
        Files.writeString(dir.resolve("bad.jsonl"), "{\"text\": \"ok\"}\n{\"body\": 3}\n");
        assertThatThrownBy(() -> new DatasetPreparer(tokenizer, 0, 1000).prepare(List.of(dir.resolve("bad.jsonl")), dir.resolve("o")))
                .isInstanceOf(IOException.class).hasMessageContaining("bad.jsonl:2").hasMessageContaining("\"text\"");
    }

    @Test
    void theLoaderDrawsTheSameWindowsForTheSameSeedAndPositionAndTargetsAreShiftedInputs() throws IOException {
        int[] ids = new int[500];
        for (int i = 0; i < ids.length; i++) ids[i] = i % 97;
        TokenShard.write(dir.resolve(TokenDataset.shardName(TokenDataset.TRAIN, 0)), 100, ids, ids.length);
        try (TokenDataset data = TokenDataset.open(dir, TokenDataset.TRAIN)) {
            BatchLoader a = new BatchLoader(data, 3, 16, 5), b = new BatchLoader(data, 3, 16, 5);
            TokenBatch first = a.next();
            a.next();
            TokenBatch third = a.next();
            b.seek(2);
            assertThat(b.next().inputs()).containsExactly(third.inputs());
            assertThat(first.inputs()).isNotEqualTo(third.inputs());
            for (int i = 0; i < 16 - 1; i++) assertThat(first.targets()[i]).isEqualTo(first.inputs()[i + 1]);
            assertThat(new BatchLoader(data, 3, 16, 6).next().inputs()).isNotEqualTo(first.inputs());
        }
    }
}
