package io.llama2j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where commands look for the bundled model when -m is left out. */
class BundledModelTest {
    @TempDir Path dir;

    @Test
    void anExplicitModelIsUsedAsGiven() {
        Path given = Path.of("some/model.gguf");
        assertThat(BundledModel.orBundled(given)).isSameAs(given);
    }

    @Test
    void theInstallFolderPropertyIsLookedAtFirst() {
        String before = System.getProperty(BundledModel.HOME_PROPERTY);
        try {
            System.setProperty(BundledModel.HOME_PROPERTY, dir.toString());
            assertThat(BundledModel.candidates().getFirst()).isEqualTo(dir.resolve("models/llama2j-chat.gguf").toAbsolutePath());
        } finally {
            if (before == null) System.clearProperty(BundledModel.HOME_PROPERTY);
            else System.setProperty(BundledModel.HOME_PROPERTY, before);
        }
    }

    @Test
    void theFirstExistingCandidateWins() throws Exception {
        Path missing = dir.resolve("a/models/llama2j-chat.gguf");
        Path present = dir.resolve("b/models/llama2j-chat.gguf");
        Files.createDirectories(present.getParent());
        Files.write(present, new byte[]{1});
        assertThat(BundledModel.firstExisting(List.of(missing, present))).isEqualTo(present);
    }

    @Test
    void aMissingBundledModelIsAnErrorNamingEveryPlaceLookedAt() {
        Path first = dir.resolve("install/models/llama2j-chat.gguf");
        Path second = dir.resolve("cwd/models/llama2j-chat.gguf");
        assertThatThrownBy(() -> BundledModel.firstExisting(List.of(first, second)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no -m given")
                .hasMessageContaining("expected " + first)
                .hasMessageContaining(second.toString())
                .hasMessageContaining("scripts/build-bundled-model.sh");
    }

    @Test
    void testsRunningFromTheRepositoryFindTheCommittedModel() {
        // the classes folder is llama2j-cli/target/classes: its repository holds models/llama2j-chat.gguf
        assertThat(BundledModel.candidates()).anySatisfy(p -> assertThat(p).isRegularFile());
    }
}
