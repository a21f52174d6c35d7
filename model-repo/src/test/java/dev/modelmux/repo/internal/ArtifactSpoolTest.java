package dev.modelmux.repo.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.management.ThreadMXBean;
import dev.modelmux.repo.Artifact;
import dev.modelmux.repo.ModelRepository;
import dev.modelmux.repo.OnnxModelBuilder;
import dev.modelmux.repo.RepositoryOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Artifacts are read into a private mapped copy, hashed while streaming, never whole onto the heap. */
class ArtifactSpoolTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path tmp;

    @Test
    void aLargeArtifactIsMappedNotCopiedOntoTheHeap() throws Exception {
        long size = 512 * MIB;
        Path dir = Files.createDirectories(tmp.resolve("repo/big/1"));
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("model.onnx").toFile(), "rw")) {
            f.setLength(size); // sparse zeros: cheap to make, read like any file
        }
        Set<Path> spooledBefore = spooled();
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        try (ModelRepository repo =
                ModelRepository.open(tmp.resolve("repo").toString(), RepositoryOptions.defaults())) {
            long before = threads.getThreadAllocatedBytes(thread);
            Artifact a = repo.read("big", 1);
            long heap = threads.getThreadAllocatedBytes(thread) - before;
            System.out.printf("read a %d MiB artifact: %d KiB allocated on the heap%n", size / MIB, heap / 1024);

            assertThat(a.size()).isEqualTo(size);
            assertThat(a.content().isDirect()).isTrue();
            assertThat(a.content().isReadOnly()).isTrue();
            assertThat(heap).isLessThan(16 * MIB);
            assertThat(a.sha256()).isEqualTo(sha256OfZeros(size));
        }
        assertThat(spooled()).as("the private copy's name is gone once mapped").isEqualTo(spooledBefore);
    }

    @Test
    void theMappedContentIsExactlyWhatWasHashed() throws Exception {
        byte[] mlp = OnnxModelBuilder.mlp().build();
        ArtifactSpool.Spooled s = ArtifactSpool.spool(new ByteArrayInputStream(mlp), mlp.length, Fingerprints.sha256());
        byte[] got = new byte[s.content().remaining()];
        s.content().duplicate().get(got);
        assertThat(got).isEqualTo(mlp);
        assertThat(Fingerprints.hex(s.sha256()))
                .isEqualTo(Fingerprints.hex(Fingerprints.sha256().digest(mlp)));
    }

    @Test
    void aStreamLongerOrShorterThanAnnouncedIsAFileBeingWritten() {
        byte[] five = {1, 2, 3, 4, 5};
        assertThatThrownBy(() -> ArtifactSpool.spool(new ByteArrayInputStream(five), 4, Fingerprints.sha256()))
                .isInstanceOf(ArtifactSpool.LengthChanged.class);
        assertThatThrownBy(() -> ArtifactSpool.spool(new ByteArrayInputStream(five), 6, Fingerprints.sha256()))
                .isInstanceOf(ArtifactSpool.LengthChanged.class);
    }

    private static Set<Path> spooled() throws IOException {
        try (var files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.filter(p -> p.getFileName().toString().startsWith("modelmux-artifact-"))
                    .collect(Collectors.toSet());
        }
    }

    private static String sha256OfZeros(long size) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        ByteBuffer zeros = ByteBuffer.allocate((int) MIB);
        for (long done = 0; done < size; done += MIB) {
            d.update(zeros.clear());
        }
        return HexFormat.of().formatHex(d.digest());
    }
}
