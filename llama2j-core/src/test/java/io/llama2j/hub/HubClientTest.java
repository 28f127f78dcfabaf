package io.llama2j.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HubClientTest {
    @TempDir
    Path cache;
    FakeHub fake;
    final StringWriter log = new StringWriter();
    final byte[] weights = randomBytes(300_000, 7);

    @BeforeEach
    void start() throws IOException {
        fake = new FakeHub();
        fake.put("owner/repo", "model.gguf", weights);
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    private HubClient client(String token) {
        return new HubClient(new HubConfig(fake.endpoint(), cache, token), new PrintWriter(log, true));
    }

    private Path cached(String repo, String file) {
        return cache.resolve(repo).resolve(file);
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void aFileIsDownloadedThroughTheRedirectVerifiedAndRenamedIntoTheCache() throws Exception {
        List<Path> paths = client(null).pull(RepoReference.parse("owner/repo/model.gguf"), "main");

        assertThat(paths).containsExactly(cached("owner/repo", "model.gguf"));
        assertThat(Files.readAllBytes(paths.getFirst())).isEqualTo(weights);
        assertThat(cached("owner/repo", "model.gguf.part")).doesNotExist();
        assertThat(log.toString()).contains("model.gguf").contains("100%");
    }

    @Test
    void aConnectionDroppedHalfWayIsResumedWithARangeRequest() throws Exception {
        fake.dropsLeft.set(1);

        Path path = client(null).pull(RepoReference.parse("owner/repo/model.gguf"), "main").getFirst();

        assertThat(Files.readAllBytes(path)).isEqualTo(weights);
        assertThat(fake.cdnRanges).hasSize(2);
        assertThat(fake.cdnRanges.get(0)).isEmpty();
        // The second request starts where the kept bytes end: after some, at most the half that was sent.
        assertThat(fake.cdnRanges.get(1)).matches("bytes=\\d+-");
        long resumedAt = Long.parseLong(fake.cdnRanges.get(1).replaceAll("\\D", ""));
        assertThat(resumedAt).isPositive().isLessThanOrEqualTo(weights.length / 2);
        assertThat(log.toString()).contains("resuming");
    }

    @Test
    void aPartialFileLeftByAnEarlierRunIsResumed() throws Exception {
        Files.createDirectories(cached("owner/repo", ""));
        Files.write(cached("owner/repo", "model.gguf.part"), Arrays.copyOf(weights, 1000));

        Path path = client(null).pull(RepoReference.parse("owner/repo/model.gguf"), "main").getFirst();

        assertThat(Files.readAllBytes(path)).isEqualTo(weights);
        assertThat(fake.cdnRanges).containsExactly("bytes=1000-");
    }

    @Test
    void aDownloadThatKeepsFailingLeavesItsPartialFileAndSaysHowToResume() {
        fake.dropsLeft.set(HubClient.DOWNLOAD_ATTEMPTS);

        assertThatThrownBy(() -> client(null).pull(RepoReference.parse("owner/repo/model.gguf"), "main"))
                .isInstanceOf(IOException.class).hasMessageContaining("run pull again to resume");
        assertThat(cached("owner/repo", "model.gguf.part")).exists();
        assertThat(cached("owner/repo", "model.gguf")).doesNotExist();
    }

    @Test
    void aCorruptDownloadIsRejectedAndNotKept() {
        fake.corrupt = true;

        assertThatThrownBy(() -> client(null).pull(RepoReference.parse("owner/repo/model.gguf"), "main"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("SHA-256 mismatch").hasMessageContaining(FakeHub.sha256(weights));
        assertThat(cached("owner/repo", "model.gguf")).doesNotExist();
        assertThat(cached("owner/repo", "model.gguf.part")).doesNotExist();
    }

    @Test
    void aGatedRepositoryNeedsTheTokenWhichNeverGoesToTheCdn() throws Exception {
        fake.put("meta-llama/Llama-2-7b", "consolidated.00.pth", weights);
        fake.gated.add("meta-llama/Llama-2-7b");
        RepoReference ref = RepoReference.parse("meta-llama/Llama-2-7b/consolidated.00.pth");

        assertThatThrownBy(() -> client(null).pull(ref, "main"))
                .isInstanceOf(IOException.class).hasMessageContaining("401").hasMessageContaining("HF_TOKEN")
                .hasMessageContaining("gated");
        assertThatThrownBy(() -> client("hf_wrong").pull(ref, "main"))
                .isInstanceOf(IOException.class).hasMessageContaining("access denied").hasMessageContaining("with the token");

        Path path = client(FakeHub.TOKEN).pull(ref, "main").getFirst();
        assertThat(Files.readAllBytes(path)).isEqualTo(weights);
        assertThat(fake.cdnAuthorizations).containsOnly("");
    }

    @Test
    void aRenamedRepositoryIsFollowedAndItsFileStillVerified() throws Exception {
        fake.put("ggml-org/models-moved", "stories.gguf", weights);
        fake.renamed.put("ggml-org/models", "ggml-org/models-moved");
        RepoReference ref = RepoReference.parse("ggml-org/models/stories.gguf");

        RemoteFile described = client(null).describe(ref, "main");
        Path path = client(null).pull(ref, "main").getFirst();

        assertThat(described.sha256()).isEqualTo(FakeHub.sha256(weights));
        assertThat(described.size()).isEqualTo(weights.length);
        assertThat(path).isEqualTo(cached("ggml-org/models", "stories.gguf"));
        assertThat(Files.readAllBytes(path)).isEqualTo(weights);
    }

    @Test
    void aMissingFileIsANotFoundError() {
        assertThatThrownBy(() -> client(null).pull(RepoReference.parse("owner/repo/nothing.gguf"), "main"))
                .isInstanceOf(IOException.class).hasMessageContaining("nothing.gguf").hasMessageContaining("not found");
    }

    @Test
    void aWholeRepositoryIsPulledFromTheFileListAndAlreadyCachedFilesAreKept() throws Exception {
        byte[] readme = "# a model".getBytes();
        fake.put("owner/repo", "README.md", readme);

        List<Path> first = client(null).pull(RepoReference.parse("owner/repo"), "main");
        List<Path> second = client(null).pull(RepoReference.parse("owner/repo"), "main");

        assertThat(first).containsExactly(cached("owner/repo", "model.gguf"), cached("owner/repo", "README.md"));
        assertThat(second).isEqualTo(first);
        assertThat(fake.cdnRanges).hasSize(2); // the second pull found both files verified in the cache
        assertThat(log.toString()).contains("already in");
    }

    @Test
    void aRepositoryOfSeveralGgufFilesAsksForOne() {
        fake.put("owner/repo", "model-Q8_0.gguf", weights);

        assertThatThrownBy(() -> client(null).pull(RepoReference.parse("owner/repo"), "main"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("owner/repo/FILE").hasMessageContaining("model.gguf, model-Q8_0.gguf");
    }

    @Test
    void pulledModelsResolveByTheirHubNames() throws Exception {
        HubConfig config = new HubConfig(fake.endpoint(), cache, null);
        client(null).pull(RepoReference.parse("owner/repo/model.gguf"), "main");

        assertThat(ModelResolver.resolve(Path.of("owner/repo"), config)).isEqualTo(cached("owner/repo", "model.gguf"));
        assertThat(ModelResolver.resolve(Path.of("owner/repo/model.gguf"), config)).isEqualTo(cached("owner/repo", "model.gguf"));
        assertThatThrownBy(() -> ModelResolver.resolve(Path.of("owner/other"), config))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("llama2j pull owner/other");
    }

    @Test
    void referencesCannotLeaveTheCache() {
        assertThatThrownBy(() -> RepoReference.parse("owner/repo/../../etc/passwd")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RepoReference.parse("../repo")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RepoReference.parse("justaname")).hasMessageContaining("OWNER/REPO");
    }
}
