package dev.modelmux.repo.internal;

import dev.modelmux.repo.Artifact;
import dev.modelmux.repo.ModelEntry;
import dev.modelmux.repo.ModelNames;
import dev.modelmux.repo.ModelRepository;
import dev.modelmux.repo.RepositoryException;
import dev.modelmux.repo.RepositoryOptions;
import dev.modelmux.repo.VersionPolicies;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelVersionPolicy;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.commons.vfs2.FileObject;
import org.apache.commons.vfs2.FileSystemException;
import org.apache.commons.vfs2.FileSystemManager;
import org.apache.commons.vfs2.FileSystemOptions;
import org.apache.commons.vfs2.VFS;
import org.apache.commons.vfs2.auth.StaticUserAuthenticator;
import org.apache.commons.vfs2.impl.DefaultFileSystemConfigBuilder;
import org.apache.commons.vfs2.impl.DefaultFileSystemManager;
import org.apache.commons.vfs2.provider.UriParser;
import org.apache.commons.vfs2.provider.http5.Http5FileSystemConfigBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commons VFS implementation of {@link ModelRepository}. The root is resolved once, at open;
 * every later file is reached from it by validated plain names and re-checked to lie under it.
 * Safe for concurrent use; every call blocks on I/O.
 */
public final class VfsModelRepository implements ModelRepository {
    private static final Logger log = LoggerFactory.getLogger(VfsModelRepository.class);
    private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,18}");

    private final RootUri rootUri;
    private final RepositoryOptions options;
    private final DefaultFileSystemManager ownedManager;
    private final RepositoryTree tree;
    private final ModelFiles files;
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    private VfsModelRepository(
            RootUri rootUri, RepositoryOptions options, DefaultFileSystemManager ownedManager, RepositoryTree tree) {
        this.rootUri = rootUri;
        this.options = options;
        this.ownedManager = ownedManager;
        this.tree = tree;
        this.files = new ModelFiles(tree, options);
    }

    /**
     * Opens {@code rootUri} with a manager of its own (closed with the repository); {@code ram:}
     * roots use the process-wide {@link VFS#getManager()}, where tests write their files.
     */
    public static ModelRepository open(String rootUri, RepositoryOptions options) throws RepositoryException {
        RootUri root = parse(rootUri);
        if (root.scheme().equals("ram")) {
            try {
                return open(root, options, VFS.getManager(), null);
            } catch (FileSystemException e) {
                throw new RepositoryException("cannot start the file system layer for " + root.describe(), e);
            }
        }
        DefaultFileSystemManager manager;
        try {
            manager = VfsManagers.create();
        } catch (FileSystemException e) {
            throw new RepositoryException("cannot start the file system layer for " + root.describe(), e);
        }
        try {
            return open(root, options, manager, manager);
        } catch (RepositoryException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Opens {@code rootUri} with a caller's manager, which the repository does not close. */
    public static ModelRepository open(String rootUri, RepositoryOptions options, FileSystemManager manager)
            throws RepositoryException {
        return open(parse(rootUri), options, manager, null);
    }

    private static RootUri parse(String rootUri) throws RepositoryException {
        try {
            return RootUri.parse(rootUri);
        } catch (IllegalArgumentException e) {
            throw new RepositoryException(e.getMessage());
        }
    }

    private static ModelRepository open(
            RootUri root, RepositoryOptions options, FileSystemManager manager, DefaultFileSystemManager owned)
            throws RepositoryException {
        String shown = root.describe();
        try {
            FileObject f = root.overHttp()
                    ? manager.resolveFile(root.uri(), httpOptions(root))
                    : manager.resolveFile(root.uri());
            f.refresh();
            if (!f.exists()) {
                throw new RepositoryException("repository root " + shown + " does not exist");
            }
            if (!f.isFolder()) {
                throw new RepositoryException("repository root " + shown + " is not a folder"
                        + (root.scheme().startsWith("http")
                                ? "; http(s) servers cannot list folders, so serve the repository"
                                        + " as an archive, e.g. zip:https://host/repo.zip!/"
                                : ""));
            }
            ModelRepository repo = new VfsModelRepository(root, options, owned, new RepositoryTree(f));
            log.info("model repository {} opened", shown);
            return repo;
        } catch (IOException e) {
            // The cause's message may carry the full URI (query tokens included): logs only, via the cause.
            throw new RepositoryException("cannot open repository root " + shown, e);
        }
    }

    /** Credentials from the URI's user-info, sent as HTTP auth; host names checked against certificates. */
    private static FileSystemOptions httpOptions(RootUri root) {
        FileSystemOptions options = new FileSystemOptions();
        if (root.user().isPresent()) {
            DefaultFileSystemConfigBuilder.getInstance()
                    .setUserAuthenticator(
                            options,
                            new StaticUserAuthenticator(
                                    null, root.user().get(), root.password().orElse(null)));
        }
        Http5FileSystemConfigBuilder.getInstance().setHostnameVerificationEnabled(options, true);
        return options;
    }

    @Override
    public String describe() {
        return rootUri.describe();
    }

    @Override
    public List<String> listModels() throws RepositoryException {
        List<String> names = new ArrayList<>();
        for (FileObject child : tree.children(tree.root(), "the repository root")) {
            String name = decodedName(child);
            try {
                if (!child.isFolder()) {
                    continue;
                }
                if (!ModelNames.isValid(name)) {
                    warnOnce(
                            "name:" + name,
                            "skipping folder '{}' in {}: not a valid model name (letters, digits, '_', '.', '-';"
                                    + " 1-128 characters, not starting with a dot)",
                            ModelNames.printable(name));
                    continue;
                }
                if (!tree.inside(child)) {
                    warnOnce(
                            "outside:" + name,
                            "skipping model folder '{}' in {}: it resolves outside the repository root",
                            name);
                    continue;
                }
            } catch (FileSystemException e) {
                throw RepositoryTree.unreadable(ModelNames.printable(name), e);
            }
            names.add(name);
        }
        names.sort(null);
        return List.copyOf(names);
    }

    @Override
    public ModelEntry scan(String modelName) throws RepositoryException {
        String model = ModelNames.validate(modelName);
        FileObject dir = modelFolder(model);
        ModelFiles.ConfigRead config = files.readConfig(model, dir);
        String fileName = ModelFiles.modelFileName(config);
        List<ModelEntry.VersionEntry> versions = new ArrayList<>();
        Map<Long, FileObject> folders = new HashMap<>();
        for (FileObject child : tree.children(dir, model)) {
            String name = decodedName(child);
            OptionalLong v = version(name);
            if (v.isPresent()) {
                files.versionEntry(model, child, v.getAsLong(), fileName).ifPresent(e -> {
                    versions.add(e);
                    folders.put(e.version(), child);
                });
            }
        }
        versions.sort((a, b) -> Long.compare(a.version(), b.version()));
        ModelVersionPolicy policy =
                config.config().map(ModelConfig::getVersionPolicy).orElse(ModelVersionPolicy.getDefaultInstance());
        List<Long> served = VersionPolicies.select(
                policy, versions.stream().map(ModelEntry.VersionEntry::version).toList());
        for (long v : served) {
            files.probeArtifact(model, v, folders.get(v), fileName);
        }
        return new ModelEntry(
                model, config.config(), config.error(), versions, served, Fingerprints.of(config.bytes(), versions));
    }

    @Override
    public Artifact read(String modelName, long version) throws RepositoryException {
        String model = ModelNames.validate(modelName);
        if (version < 1) {
            throw new RepositoryException.NotFound(
                    "model '" + model + "' has no version " + version + "; versions are numbered from 1");
        }
        FileObject dir = modelFolder(model);
        String fileName = ModelFiles.modelFileName(files.readConfig(model, dir));
        String relative = model + "/" + version;
        FileObject versionDir = tree.child(dir, Long.toString(version), relative)
                .orElseThrow(() -> new RepositoryException.NotFound("model '" + model + "' has no version " + version));
        return files.readArtifact(model, version, versionDir, fileName);
    }

    @Override
    public List<String> readLabels(String modelName, String fileName) throws RepositoryException {
        String model = ModelNames.validate(modelName);
        return files.readLabels(model, modelFolder(model), fileName);
    }

    @Override
    public void close() {
        if (ownedManager != null) {
            ownedManager.close();
        }
    }

    private FileObject modelFolder(String model) throws RepositoryException {
        Optional<FileObject> dir = tree.child(tree.root(), model, model);
        try {
            if (dir.isEmpty() || !dir.get().isFolder()) {
                throw new RepositoryException.NotFound("model '" + model + "' is not in the repository");
            }
        } catch (FileSystemException e) {
            throw RepositoryTree.unreadable(model, e);
        }
        return dir.get();
    }

    /** A child's name as on disk (VFS keeps names URI-encoded: "%" reads "%25"). */
    private static String decodedName(FileObject f) {
        String name = f.getName().getBaseName();
        try {
            return UriParser.decode(name);
        } catch (FileSystemException e) {
            return name;
        }
    }

    /** The version a folder name denotes: decimal 1..Long.MAX_VALUE, no sign, no leading zero. */
    static OptionalLong version(String name) {
        if (!VERSION.matcher(name).matches()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(name));
        } catch (NumberFormatException e) {
            return OptionalLong.empty(); // 19 digits above Long.MAX_VALUE
        }
    }

    private void warnOnce(String key, String message, Object arg) {
        if (warned.add(key)) {
            log.warn(message, arg, describe());
        }
    }
}
