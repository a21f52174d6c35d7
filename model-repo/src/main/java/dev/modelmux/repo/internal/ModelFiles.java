package dev.modelmux.repo.internal;

import dev.modelmux.repo.Artifact;
import dev.modelmux.repo.ModelConfigException;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.ModelEntry;
import dev.modelmux.repo.ModelNames;
import dev.modelmux.repo.RepositoryException;
import dev.modelmux.repo.RepositoryOptions;
import dev.modelmux.repo.config.ModelConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.apache.commons.vfs2.FileObject;
import org.apache.commons.vfs2.FileSystemException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads the files of one model folder: its config.pbtxt, its version folders and their artifacts. */
final class ModelFiles {
    static final String CONFIG_FILE = "config.pbtxt";
    /** The largest Java array that every JVM allocates. */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private static final Logger log = LoggerFactory.getLogger(ModelFiles.class);

    /**
     * config.pbtxt as read: the parsed config, or the error that kept it out, and its bytes (null
     * when there is no config.pbtxt).
     */
    record ConfigRead(Optional<ModelConfig> config, Optional<String> error, byte[] bytes) {}

    private final RepositoryTree tree;
    private final RepositoryOptions options;

    ModelFiles(RepositoryTree tree, RepositoryOptions options) {
        this.tree = tree;
        this.options = options;
    }

    /** Reads and parses config.pbtxt; a config that is too big, not UTF-8 or invalid becomes an error, not an exception. */
    ConfigRead readConfig(String model, FileObject dir) throws RepositoryException {
        String relative = model + "/" + CONFIG_FILE;
        Optional<FileObject> file;
        try {
            file = tree.child(dir, CONFIG_FILE, relative);
        } catch (RepositoryTree.OutsideRoot e) {
            return error(model, CONFIG_FILE + " resolves outside the repository root; refused", new byte[0]);
        }
        if (file.isEmpty()) {
            return new ConfigRead(Optional.empty(), Optional.empty(), null);
        }
        byte[] bytes;
        try {
            if (!file.get().isFile()) {
                return error(model, CONFIG_FILE + " is not a file", new byte[0]);
            }
            bytes = readBounded(file.get(), options.maxConfigBytes(), relative);
        } catch (FileSystemException e) {
            throw RepositoryTree.unreadable(relative, e);
        } catch (TooLarge e) {
            return error(
                    model,
                    CONFIG_FILE + " is " + e.size + " bytes, more than the " + options.maxConfigBytes() + " allowed",
                    new byte[0]);
        }
        return parseConfig(model, bytes);
    }

    /** Parses config.pbtxt's bytes; text that is not UTF-8 or not a valid config becomes an error. */
    static ConfigRead parseConfig(String model, byte[] bytes) {
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return error(model, CONFIG_FILE + " is not valid UTF-8", bytes);
        }
        try {
            return new ConfigRead(Optional.of(ModelConfigs.parse(model, CONFIG_FILE, text)), Optional.empty(), bytes);
        } catch (ModelConfigException e) {
            return new ConfigRead(Optional.empty(), Optional.of(e.getMessage()), bytes);
        }
    }

    static ConfigRead error(String model, String what, byte[] bytes) {
        return new ConfigRead(Optional.empty(), Optional.of("model '" + model + "': " + what), bytes);
    }

    /** The model file name in each version folder: default_model_filename, else model.onnx. */
    static String modelFileName(ConfigRead config) {
        return config.config()
                .map(ModelConfig::getDefaultModelFilename)
                .filter(n -> !n.isEmpty())
                .orElse(FileNames.DEFAULT_MODEL_FILENAME);
    }

    /** A version folder that holds the model file, or empty (logged) when it does not. */
    Optional<ModelEntry.VersionEntry> versionEntry(String model, FileObject dir, long version, String fileName)
            throws RepositoryException {
        String relative = model + "/" + version;
        try {
            if (!dir.isFolder()) {
                return Optional.empty();
            }
            if (!tree.inside(dir)) {
                log.warn(
                        "model '{}' version {} skipped: {} resolves outside the repository root",
                        model,
                        version,
                        relative);
                return Optional.empty();
            }
            Optional<FileObject> file;
            try {
                file = tree.child(dir, fileName, relative + "/" + fileName);
            } catch (RepositoryException e) {
                log.warn("model '{}' version {} skipped: {}", model, version, e.getMessage());
                return Optional.empty();
            }
            if (file.isEmpty() || !file.get().isFile()) {
                log.debug("model '{}' version {} skipped: no {}", model, version, fileName);
                return Optional.empty();
            }
            var content = file.get().getContent();
            return Optional.of(
                    new ModelEntry.VersionEntry(version, fileName, content.getSize(), content.getLastModifiedTime()));
        } catch (FileSystemException e) {
            throw RepositoryTree.unreadable(relative, e);
        }
    }

    /**
     * Opens a version's model file and closes it again, reading nothing, so that a file the node could
     * not read when it has to load it (permission denied, a device error) shows at the scan rather than
     * at the next load. A file gone since the folder was listed is left to the next scan.
     */
    void probeArtifact(String model, long version, FileObject versionDir, String fileName) throws RepositoryException {
        String relative = model + "/" + version + "/" + fileName;
        Optional<FileObject> file = tree.child(versionDir, fileName, relative);
        if (file.isEmpty()) {
            return;
        }
        try (InputStream in = file.get().getContent().getInputStream()) {
            // Opened: the node can read it.
        } catch (IOException e) {
            throw RepositoryTree.unreadable(relative, e);
        }
    }

    /** Reads a label file of the model folder: its lines, bounded by maxConfigBytes. */
    List<String> readLabels(String model, FileObject dir, String fileName) throws RepositoryException {
        if (!FileNames.isPlain(fileName)) {
            throw new RepositoryException("model '" + model + "': label file '" + ModelNames.printable(fileName)
                    + "' is not a plain file name in the model's folder");
        }
        String relative = model + "/" + fileName;
        FileObject file = tree.child(dir, fileName, relative)
                .orElseThrow(() ->
                        new RepositoryException.NotFound("model '" + model + "' has no label file '" + fileName + "'"));
        try {
            byte[] bytes = readBounded(file, options.maxConfigBytes(), relative);
            return new String(bytes, java.nio.charset.StandardCharsets.UTF_8)
                    .lines()
                    .toList();
        } catch (TooLarge e) {
            throw new RepositoryException(relative + " is " + e.size + " bytes, more than the "
                    + options.maxConfigBytes() + " allowed for a label file");
        } catch (FileSystemException e) {
            throw RepositoryTree.unreadable(relative, e);
        }
    }

    /**
     * Reads one version's file, bounded by maxArtifactBytes, into a private mapped copy (off the Java
     * heap), hashing it while it streams.
     */
    Artifact readArtifact(String model, long version, FileObject versionDir, String fileName)
            throws RepositoryException {
        String relative = model + "/" + version + "/" + fileName;
        FileObject file = tree.child(versionDir, fileName, relative)
                .orElseThrow(() -> new RepositoryException.NotFound(
                        "model '" + model + "' version " + version + " has no " + fileName));
        try {
            if (!file.isFile()) {
                throw new RepositoryException.NotFound(
                        "model '" + model + "' version " + version + " has no " + fileName);
            }
            long size = file.getContent().getSize();
            if (size > Math.min(options.maxArtifactBytes(), MAX_ARRAY)) {
                throw new TooLarge(size);
            }
            try (InputStream in = file.getContent().getInputStream()) {
                ArtifactSpool.Spooled s = ArtifactSpool.spool(in, size, Fingerprints.sha256());
                return new Artifact(model, version, s.content(), Fingerprints.hex(s.sha256()));
            }
        } catch (ArtifactSpool.LengthChanged e) {
            throw new RepositoryException.Unreadable(relative + " changed while it was read; it will be read again");
        } catch (IOException e) {
            throw RepositoryTree.unreadable(relative, e);
        } catch (TooLarge e) {
            throw new RepositoryException(
                    relative + " is " + e.size + " bytes, more than the " + options.maxArtifactBytes() + " allowed");
        }
    }

    /**
     * Reads a file whole into one array of the size it reports, refusing files above {@code max};
     * a file whose length changes while it is read (still being copied in) is an error.
     */
    private static byte[] readBounded(FileObject file, long max, String relative)
            throws FileSystemException, TooLarge, RepositoryException {
        long size = file.getContent().getSize();
        if (size > Math.min(max, MAX_ARRAY)) {
            throw new TooLarge(size);
        }
        try (InputStream in = file.getContent().getInputStream()) {
            byte[] bytes = new byte[(int) size];
            int n = in.readNBytes(bytes, 0, bytes.length);
            if (n < bytes.length || in.read() >= 0) {
                throw new RepositoryException.Unreadable(
                        relative + " changed while it was read; it will be read again");
            }
            return bytes;
        } catch (FileSystemException e) {
            throw e;
        } catch (IOException e) {
            throw RepositoryTree.unreadable(relative, e);
        }
    }

    /** A file larger than the limit; {@code size} as far as known. */
    private static final class TooLarge extends Exception {
        private static final long serialVersionUID = 1L;
        final long size;

        TooLarge(long size) {
            super(null, null, false, false);
            this.size = size;
        }
    }
}
