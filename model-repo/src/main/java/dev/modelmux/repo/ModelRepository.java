package dev.modelmux.repo;

import dev.modelmux.repo.internal.S3ModelRepository;
import dev.modelmux.repo.internal.S3Root;
import dev.modelmux.repo.internal.VfsModelRepository;
import java.util.List;

/**
 * A read-only, Triton-style model repository whose root is fixed when it is opened:
 * {@code <root>/<model>/config.pbtxt} and {@code <root>/<model>/<version>/<default_model_filename>}
 * (default {@code model.onnx}), numeric version folders only.
 *
 * <p>All methods block (file or network I/O): call them from a worker, never an event loop. Model names are
 * validated with {@link ModelNames} before any file is touched, and every resolved file is
 * re-checked to lie under the root; no caller string is ever handed to VFS as a URI.
 */
public interface ModelRepository extends AutoCloseable {

    /**
     * Opens a repository. {@code rootUri} is an operator's setting (never a request field): a local
     * path or {@code file:}, {@code zip:}/{@code jar:} archive, {@code http(s):} (read-only),
     * {@code ram:} or {@code s3:} URI (S3 with the default settings).
     *
     * @throws RepositoryException if the root does not exist or cannot be read
     */
    static ModelRepository open(String rootUri, RepositoryOptions options) throws RepositoryException {
        return open(rootUri, options, S3Options.defaults());
    }

    /**
     * Opens a repository; an {@code s3://bucket/prefix/} root is read through the AWS SDK with {@code s3}'s
     * settings (see {@link S3ModelRepository} for why beside VFS rather than through it), any other through
     * Commons VFS.
     *
     * @throws RepositoryException if the root does not exist or cannot be read; for a bucket, the message
     *     names it and says why (no credentials, access denied, no such bucket, no answer)
     */
    static ModelRepository open(String rootUri, RepositoryOptions options, S3Options s3) throws RepositoryException {
        if (S3Root.isS3(rootUri)) {
            return S3ModelRepository.open(rootUri, options, s3);
        }
        return VfsModelRepository.open(rootUri, options);
    }

    /** The root as shown to users and logs: scheme and path, with any credentials removed. */
    String describe();

    /**
     * Names of the model folders under the root that are valid model names, sorted.
     *
     * @throws RepositoryException.Unreadable if the root could not be listed (nothing is known of it)
     */
    List<String> listModels() throws RepositoryException;

    /**
     * Scans one model: its config (parsed, or absent to be derived from the ONNX graph at load, or a
     * config error) and its version folders. Artifacts are not read, but the files of the versions the
     * policy selects are opened (and closed at once), so that an artifact the node cannot read fails the
     * scan rather than the next load.
     *
     * @throws RepositoryException.NotFound if there is no such model folder
     * @throws RepositoryException.Unreadable if a folder or file could not be read (the model's state is
     *     unknown, not changed)
     * @throws ModelNames.InvalidModelNameException if the name breaks the rules (nothing is read)
     */
    ModelEntry scan(String modelName) throws RepositoryException;

    /**
     * Reads one version's artifact whole (up to {@link RepositoryOptions#maxArtifactBytes()}) and
     * hashes it.
     *
     * @throws RepositoryException.NotFound if the model or version does not exist
     * @throws RepositoryException.Unreadable if it could not be read (I/O error, or it changed while read)
     * @throws ModelNames.InvalidModelNameException if the name breaks the rules (nothing is read)
     */
    Artifact read(String modelName, long version) throws RepositoryException;

    /**
     * Reads the label file {@code fileName} of a model (named by an output's {@code label_filename} in
     * its config): one label per line, index = line number. The name must be a plain file name in the
     * model's folder; the file is bounded by {@link RepositoryOptions#maxConfigBytes()}.
     *
     * @throws RepositoryException.NotFound if the model or the file does not exist
     * @throws RepositoryException if the name is not a plain file name, or the file is too large or unreadable
     */
    List<String> readLabels(String modelName, String fileName) throws RepositoryException;

    @Override
    void close();
}
