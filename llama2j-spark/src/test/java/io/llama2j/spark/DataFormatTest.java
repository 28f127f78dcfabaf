package io.llama2j.spark;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DataFormatTest {
    @TempDir
    Path dir;

    @Test
    void filesAreRecognisedByExtension() throws IOException {
        assertThat(DataFormat.of(Path.of("prompts.jsonl"))).isEqualTo(DataFormat.JSONL);
        assertThat(DataFormat.of(Path.of("prompts.JSON"))).isEqualTo(DataFormat.JSONL);
        assertThat(DataFormat.of(Path.of("prompts.parquet"))).isEqualTo(DataFormat.PARQUET);
    }

    @Test
    void aFolderOfSparkPartFilesHasTheirFormat() throws IOException {
        Path table = Files.createDirectories(dir.resolve("out"));
        Files.createFile(table.resolve("_SUCCESS"));
        Files.createFile(table.resolve("part-00000-0b1c.snappy.parquet"));
        assertThat(DataFormat.of(table)).isEqualTo(DataFormat.PARQUET);
    }

    @Test
    void anUnknownFormatIsAnErrorNamingThePathAndTheOption() {
        Path csv = dir.resolve("prompts.csv");
        assertThatThrownBy(() -> DataFormat.of(csv)).isInstanceOf(IOException.class)
                .hasMessageContaining(csv.toString()).hasMessageContaining("--input-format");
    }
}
