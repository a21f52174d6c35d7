package dev.modelmux.repo.internal;

import dev.modelmux.repo.Artifact;
import dev.modelmux.repo.ModelEntry;
import dev.modelmux.repo.ModelNames;
import dev.modelmux.repo.ModelRepository;
import dev.modelmux.repo.RepositoryException;
import dev.modelmux.repo.RepositoryOptions;
import dev.modelmux.repo.S3Options;
import dev.modelmux.repo.VersionPolicies;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelVersionPolicy;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A model repository in an S3 bucket ({@code s3://bucket/prefix/}), read through the AWS SDK for
 * Java v2, beside {@link VfsModelRepository} behind the same {@link ModelRepository} interface.
 *
 * <p><b>Why not a Commons VFS provider.</b> VFS models a tree of folders: listing the repository is
 * one request per folder (the root, each model, each version), and every file's size and time is
 * one more request. At 10,000 models that is 30,000+ requests per poll. An object store has no
 * folders: <em>one</em> paginated {@code ListObjectsV2} over the prefix (1,000 keys a page) returns
 * every key with its ETag, size and modification time, which is all a poll needs. So the listing is
 * taken once per poll and each model's scan is answered from it (a scan outside a poll, such as a
 * load through the repository API or a retry, lists that model's prefix alone). What changed is
 * found by ETag: a config whose ETag is the one read before is not read again, and an artifact is
 * downloaded only when its (key, ETag) is not in the local {@link ArtifactCache}. A VFS provider
 * would also have hidden ETags and conditional reads behind its file API.
 *
 * <p><b>Safety.</b> Keys are built only from the root's prefix, a model name that passed
 * {@link ModelNames}, a version number and a file name that passed {@link FileNames}; listed keys
 * outside that shape are ignored. Credentials come only from the SDK's default chain and never
 * appear in a message. Every failure is a {@link RepositoryException.Unreadable} (the catalog keeps
 * the last good view and retries with backoff) unless the bucket says the thing does not exist.
 */
public final class S3ModelRepository implements ModelRepository {
    private static final Logger LOG = LoggerFactory.getLogger(S3ModelRepository.class);
    private static final String CONFIG = ModelFiles.CONFIG_FILE;

    /** One listed object: what identifies its content, its size and time. */
    record ObjectInfo(String etag, long size, long lastModifiedMillis) {}

    /** A config as read before: its ETag and bytes (re-read only when the ETag changes). */
    private record CachedConfig(String etag, byte[] bytes) {}

    private final S3Root root;
    private final RepositoryOptions options;
    private final S3Client s3;
    private final ArtifactCache cache;
    private final Duration timeout;
    private final String endpointShown;
    /** Each model's objects as the last full listing saw them, taken (once) by the scan that follows it. */
    private final ConcurrentHashMap<String, Map<String, ObjectInfo>> listed = new ConcurrentHashMap<>();

    private final ConcurrentHashMap<String, CachedConfig> configs = new ConcurrentHashMap<>();
    /** Artifacts (key + ETag) whose HEAD succeeded: not asked again until they change. */
    private final Set<String> probed = ConcurrentHashMap.newKeySet();

    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    private S3ModelRepository(
            S3Root root,
            RepositoryOptions options,
            S3Client s3,
            ArtifactCache cache,
            Duration timeout,
            String endpointShown) {
        this.root = root;
        this.options = options;
        this.s3 = s3;
        this.cache = cache;
        this.timeout = timeout;
        this.endpointShown = endpointShown;
    }

    /**
     * Opens {@code s3://bucket/prefix/}: builds the client, then lists one key to check that the bucket
     * exists and the credentials may list it, failing with a message that names the bucket.
     */
    public static ModelRepository open(String rootUri, RepositoryOptions options, S3Options s3Options)
            throws RepositoryException {
        return open(rootUri, options, s3Options, System::getenv);
    }

    static ModelRepository open(
            String rootUri, RepositoryOptions options, S3Options s3Options, Function<String, String> env)
            throws RepositoryException {
        S3Root root;
        try {
            root = S3Root.parse(rootUri);
        } catch (IllegalArgumentException e) {
            throw new RepositoryException(e.getMessage());
        }
        Optional<URI> endpoint = s3Options.endpoint().or(() -> endpointFromEnvironment(env));
        Region region = s3Options.region().map(Region::of).orElseGet(S3ModelRepository::regionFromChain);
        String endpointShown = endpoint.map(URI::toString).orElse("AWS S3 (" + region.id() + ")");
        Duration timeout = s3Options.timeout();
        S3ClientBuilder b = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(min(timeout, Duration.ofSeconds(10)))
                        .socketTimeout(timeout))
                .credentialsProvider(DefaultCredentialsProvider.builder().build())
                .region(region)
                .forcePathStyle(s3Options.pathStyle())
                // Third-party stores reject the newer default checksums on requests; answers are still checked
                // against the checksum an object carries, where it carries one.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_SUPPORTED);
        if (endpoint.isPresent()) {
            b.endpointOverride(endpoint.get());
        } else {
            b.crossRegionAccessEnabled(true); // a bucket in another region than the one configured still works
        }
        S3Client client;
        try {
            client = b.build();
        } catch (SdkException e) {
            throw new RepositoryException("cannot set up the S3 client for " + root.describe() + ": "
                    + ModelNames.printable(String.valueOf(e.getMessage())));
        }
        try {
            check(client, root, endpointShown, timeout);
            Path dir = s3Options.cacheDir().orElse(Path.of(".modelmux", "s3-cache"));
            ArtifactCache cache;
            try {
                cache = new ArtifactCache(dir, s3Options.cacheBytes());
            } catch (IOException e) {
                throw new RepositoryException("cannot use the S3 artifact cache folder " + dir + ": " + e, e);
            }
            LOG.info(
                    "model repository {} opened (endpoint {}, {}; artifact cache {} up to {} bytes)",
                    root.describe(),
                    endpointShown,
                    s3Options.pathStyle() ? "path-style" : "virtual-hosted",
                    dir,
                    s3Options.cacheBytes());
            return new S3ModelRepository(root, options, client, cache, timeout, endpointShown);
        } catch (RepositoryException | RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /** The standard SDK variables: the S3-specific one first. */
    static Optional<URI> endpointFromEnvironment(Function<String, String> env) {
        for (String key : List.of("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")) {
            String v = env.apply(key);
            if (v != null && !v.isBlank()) {
                return Optional.of(S3Options.endpoint(key, v));
            }
        }
        return Optional.empty();
    }

    /**
     * The region from the environment, system properties or the profile, without the instance metadata
     * service (which stalls start-up off EC2); else us-east-1, where cross-region access finds the bucket.
     */
    private static Region regionFromChain() {
        try {
            return new AwsRegionProviderChain(new SystemSettingsRegionProvider(), new AwsProfileRegionProvider())
                    .getRegion();
        } catch (SdkClientException e) {
            return Region.US_EAST_1;
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** One key of the prefix: the bucket exists, the credentials are good and may list it. */
    private static void check(S3Client s3, S3Root root, String endpoint, Duration timeout) throws RepositoryException {
        try {
            s3.listObjectsV2(ListObjectsV2Request.builder()
                    .bucket(root.bucket())
                    .prefix(root.prefix())
                    .maxKeys(1)
                    .overrideConfiguration(o -> o.apiCallTimeout(timeout.multipliedBy(3)))
                    .build());
        } catch (SdkServiceException e) {
            String code = errorCode(e);
            String why = switch (e.statusCode()) {
                case 403 ->
                    "access denied (" + code + "): check the credentials the AWS SDK's default chain"
                            + " finds (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, a web identity token"
                            + " for a Kubernetes service account) and that they may list the bucket";
                case 404 -> "the bucket does not exist (" + code + ")";
                case 301, 400 ->
                    "the bucket answered " + e.statusCode() + " (" + code + "): check --s3-region,"
                            + " --s3-endpoint and --s3-path-style";
                default -> "the bucket answered " + e.statusCode() + " (" + code + ")";
            };
            throw new RepositoryException("cannot open repository " + root.describe() + ": bucket '" + root.bucket()
                    + "' at " + endpoint + ": " + why);
        } catch (SdkClientException e) {
            throw new RepositoryException("cannot open repository " + root.describe() + ": bucket '" + root.bucket()
                    + "' at " + endpoint + ": " + clientReason(e));
        }
    }

    @Override
    public String describe() {
        return root.describe();
    }

    @Override
    public List<String> listModels() throws RepositoryException {
        Map<String, Map<String, ObjectInfo>> found = list(root.prefix(), "the repository root");
        listed.clear();
        listed.putAll(found);
        List<String> names = new ArrayList<>(found.keySet());
        names.sort(null);
        return List.copyOf(names);
    }

    /**
     * Lists every key under {@code prefix} (paginated) and groups them by model: {@code model -> (path
     * under the model's folder -> object)}. Keys that are not under a valid model name are skipped.
     */
    private Map<String, Map<String, ObjectInfo>> list(String prefix, String what) throws RepositoryException {
        Map<String, Map<String, ObjectInfo>> models = new HashMap<>();
        try {
            ListObjectsV2Request request = ListObjectsV2Request.builder()
                    .bucket(root.bucket())
                    .prefix(prefix)
                    .overrideConfiguration(o -> o.apiCallTimeout(timeout.multipliedBy(3)))
                    .build();
            for (ListObjectsV2Response page : s3.listObjectsV2Paginator(request)) {
                for (S3Object o : page.contents()) {
                    String key = o.key();
                    if (!key.startsWith(root.prefix())) {
                        continue;
                    }
                    String rel = key.substring(root.prefix().length());
                    int slash = rel.indexOf('/');
                    if (slash <= 0) {
                        continue; // a file at the root
                    }
                    String model = rel.substring(0, slash);
                    if (!ModelNames.isValid(model)) {
                        if (warned.add("name:" + model)) {
                            LOG.warn(
                                    "skipping '{}' in {}: not a valid model name (letters, digits, '_', '.', '-';"
                                            + " 1-128 characters, not starting with a dot)",
                                    ModelNames.printable(model),
                                    describe());
                        }
                        continue;
                    }
                    Map<String, ObjectInfo> files = models.computeIfAbsent(model, m -> new TreeMap<>());
                    String path = rel.substring(slash + 1);
                    if (!path.isEmpty() && !path.endsWith("/")) {
                        files.put(
                                path,
                                new ObjectInfo(
                                        o.eTag() == null ? "" : o.eTag(),
                                        o.size() == null ? 0 : o.size(),
                                        o.lastModified() == null
                                                ? 0
                                                : o.lastModified().toEpochMilli()));
                    }
                }
            }
        } catch (SdkException e) {
            throw unreadable(what, e);
        }
        return models;
    }

    /** A model's objects: from the last full listing if this is the scan that follows it, else listed now. */
    private Map<String, ObjectInfo> objects(String model, boolean fromListing) throws RepositoryException {
        if (fromListing) {
            Map<String, ObjectInfo> taken = listed.remove(model);
            if (taken != null) {
                return taken;
            }
        }
        Map<String, ObjectInfo> files = list(root.prefix() + model + "/", model).get(model);
        if (files == null) {
            throw new RepositoryException.NotFound("model '" + model + "' is not in the repository");
        }
        return files;
    }

    @Override
    public ModelEntry scan(String modelName) throws RepositoryException {
        String model = ModelNames.validate(modelName);
        Map<String, ObjectInfo> files = objects(model, true);
        ConfigFile config = readConfig(model, files);
        String fileName = ModelFiles.modelFileName(config.read());
        List<ModelEntry.VersionEntry> versions = new ArrayList<>();
        StringBuilder etags = new StringBuilder(config.etag());
        files.forEach((path, info) -> {
            int slash = path.indexOf('/');
            if (slash < 0 || !path.substring(slash + 1).equals(fileName)) {
                return;
            }
            OptionalLong v = VfsModelRepository.version(path.substring(0, slash));
            if (v.isPresent()) {
                versions.add(
                        new ModelEntry.VersionEntry(v.getAsLong(), fileName, info.size(), info.lastModifiedMillis()));
            }
        });
        versions.sort((a, b) -> Long.compare(a.version(), b.version()));
        for (ModelEntry.VersionEntry v : versions) {
            etags.append('\n')
                    .append(v.version())
                    .append(' ')
                    .append(files.get(v.version() + "/" + fileName).etag());
        }
        ModelVersionPolicy policy = config.read()
                .config()
                .map(ModelConfig::getVersionPolicy)
                .orElse(ModelVersionPolicy.getDefaultInstance());
        List<Long> served = VersionPolicies.select(
                policy, versions.stream().map(ModelEntry.VersionEntry::version).toList());
        for (long v : served) {
            probe(model, v, fileName, files.get(v + "/" + fileName));
        }
        // Size and time alone miss an object replaced within the same second at the same size: the ETags say.
        MessageDigest d = Fingerprints.sha256();
        d.update(Fingerprints.of(config.read().bytes(), versions).getBytes(StandardCharsets.UTF_8));
        d.update(etags.toString().getBytes(StandardCharsets.UTF_8));
        return new ModelEntry(
                model, config.read().config(), config.read().error(), versions, served, Fingerprints.hex(d.digest()));
    }

    /** config.pbtxt as read, and its ETag ("" when there is none). */
    private record ConfigFile(ModelFiles.ConfigRead read, String etag) {}

    private ConfigFile readConfig(String model, Map<String, ObjectInfo> files) throws RepositoryException {
        ObjectInfo info = files.get(CONFIG);
        if (info == null) {
            configs.remove(model);
            return new ConfigFile(new ModelFiles.ConfigRead(Optional.empty(), Optional.empty(), null), "");
        }
        if (info.size() > options.maxConfigBytes()) {
            return new ConfigFile(
                    ModelFiles.error(
                            model,
                            CONFIG + " is " + info.size() + " bytes, more than the " + options.maxConfigBytes()
                                    + " allowed",
                            new byte[0]),
                    info.etag());
        }
        CachedConfig cached = configs.get(model);
        byte[] bytes;
        if (cached != null && !info.etag().isEmpty() && cached.etag().equals(info.etag())) {
            bytes = cached.bytes();
        } else {
            bytes = readSmall(model + "/" + CONFIG, info, options.maxConfigBytes());
            configs.put(model, new CachedConfig(info.etag(), bytes));
        }
        return new ConfigFile(ModelFiles.parseConfig(model, bytes), info.etag());
    }

    /**
     * Asks for a served version's artifact (HEAD, nothing downloaded) the first time it is seen, so that an
     * object the credentials may list but not read fails the scan rather than the next load.
     */
    private void probe(String model, long version, String fileName, ObjectInfo info) throws RepositoryException {
        String relative = model + "/" + version + "/" + fileName;
        String key = root.prefix() + relative;
        String seen = key + "\n" + info.etag();
        if (probed.contains(seen)) {
            return;
        }
        try {
            s3.headObject(HeadObjectRequest.builder()
                    .bucket(root.bucket())
                    .key(key)
                    .overrideConfiguration(o -> o.apiCallTimeout(timeout.multipliedBy(3)))
                    .build());
            probed.add(seen);
        } catch (SdkServiceException e) {
            if (e.statusCode() == 404) {
                return; // gone since the listing: the next scan says
            }
            throw unreadable(relative, e);
        } catch (SdkException e) {
            throw unreadable(relative, e);
        }
    }

    @Override
    public Artifact read(String modelName, long version) throws RepositoryException {
        String model = ModelNames.validate(modelName);
        if (version < 1) {
            throw new RepositoryException.NotFound(
                    "model '" + model + "' has no version " + version + "; versions are numbered from 1");
        }
        Map<String, ObjectInfo> files = objects(model, false);
        String fileName = ModelFiles.modelFileName(readConfig(model, files).read());
        String relative = model + "/" + version + "/" + fileName;
        ObjectInfo info = files.get(version + "/" + fileName);
        if (info == null) {
            throw new RepositoryException.NotFound("model '" + model + "' version " + version + " has no " + fileName);
        }
        if (info.size() > options.maxArtifactBytes()) {
            throw new RepositoryException(relative + " is " + info.size() + " bytes, more than the "
                    + options.maxArtifactBytes() + " allowed");
        }
        String key = root.prefix() + relative;
        String id = ArtifactCache.id(root.bucket(), key, info.etag());
        Optional<ArtifactCache.Content> hit = info.etag().isEmpty() ? Optional.empty() : cache.get(id, info.size());
        if (hit.isPresent()) {
            LOG.debug("model '{}' version {}: artifact from the local cache", model, version);
            return new Artifact(model, version, hit.get().bytes(), hit.get().sha256());
        }
        try (ResponseInputStream<GetObjectResponse> in = get(key, info)) {
            Long length = in.response().contentLength();
            if (length != null && length != info.size()) {
                throw new RepositoryException.Unreadable(
                        relative + " changed while it was read; it will be read again");
            }
            ArtifactCache.Content c = cache.put(id, in, info.size());
            LOG.debug("model '{}' version {}: artifact downloaded ({} bytes)", model, version, info.size());
            return new Artifact(model, version, c.bytes(), c.sha256());
        } catch (ArtifactSpool.LengthChanged e) {
            throw new RepositoryException.Unreadable(relative + " changed while it was read; it will be read again");
        } catch (SdkServiceException e) {
            throw notFoundOrUnreadable(relative, e);
        } catch (SdkException e) {
            throw unreadable(relative, e);
        } catch (IOException e) {
            throw ioFailure(relative, e);
        }
    }

    /** GET of exactly the version listed: a replaced object answers 412, read as "changed while read". */
    private ResponseInputStream<GetObjectResponse> get(String key, ObjectInfo info) {
        GetObjectRequest.Builder r =
                GetObjectRequest.builder().bucket(root.bucket()).key(key);
        if (!info.etag().isEmpty()) {
            r.ifMatch(info.etag());
        }
        return s3.getObject(r.build());
    }

    @Override
    public List<String> readLabels(String modelName, String fileName) throws RepositoryException {
        String model = ModelNames.validate(modelName);
        if (!FileNames.isPlain(fileName)) {
            throw new RepositoryException("model '" + model + "': label file '" + ModelNames.printable(fileName)
                    + "' is not a plain file name in the model's folder");
        }
        Map<String, ObjectInfo> files = objects(model, false);
        ObjectInfo info = files.get(fileName);
        if (info == null) {
            throw new RepositoryException.NotFound("model '" + model + "' has no label file '" + fileName + "'");
        }
        String relative = model + "/" + fileName;
        if (info.size() > options.maxConfigBytes()) {
            throw new RepositoryException(relative + " is " + info.size() + " bytes, more than the "
                    + options.maxConfigBytes() + " allowed for a label file");
        }
        return new String(readSmall(relative, info, options.maxConfigBytes()), StandardCharsets.UTF_8)
                .lines()
                .toList();
    }

    /** Reads a small object (a config, a label file) whole, exactly the listed version and size. */
    private byte[] readSmall(String relative, ObjectInfo info, long max) throws RepositoryException {
        try (ResponseInputStream<GetObjectResponse> in = get(root.prefix() + relative, info)) {
            byte[] bytes = new byte[(int) Math.min(info.size(), max)];
            int n = in.readNBytes(bytes, 0, bytes.length);
            if (n < bytes.length || in.read() >= 0) {
                throw new RepositoryException.Unreadable(
                        relative + " changed while it was read; it will be read again");
            }
            return bytes;
        } catch (SdkServiceException e) {
            throw notFoundOrUnreadable(relative, e);
        } catch (SdkException e) {
            throw unreadable(relative, e);
        } catch (IOException e) {
            throw ioFailure(relative, e);
        }
    }

    /** The local artifact cache's use: bytes and entries (for tests and the log). */
    public long cacheBytesUsed() {
        return cache.usedBytes();
    }

    public int cacheEntries() {
        return cache.size();
    }

    @Override
    public void close() {
        s3.close();
    }

    private RepositoryException notFoundOrUnreadable(String relative, SdkServiceException e) {
        String code = errorCode(e);
        if (e.statusCode() == 412) {
            return new RepositoryException.Unreadable(relative + " changed while it was read; it will be read again");
        }
        if (e.statusCode() == 404 && !code.equals("NoSuchBucket")) {
            return new RepositoryException.NotFound(relative + " is no longer in the repository");
        }
        return unreadable(relative, e);
    }

    /** A read that failed for a reason that may pass: the message names the file and why, never a secret. */
    private RepositoryException.Unreadable unreadable(String relative, SdkException e) {
        String why;
        if (e instanceof SdkServiceException se) {
            String code = errorCode(se);
            why = switch (se.statusCode()) {
                case 403 -> "access denied, " + code;
                case 404 -> "not found, " + code;
                case 429, 503 -> "the bucket is throttling: " + se.statusCode() + " " + code;
                default -> "the bucket answered " + se.statusCode() + " " + code;
            };
        } else {
            why = clientReason(e);
        }
        return new RepositoryException.Unreadable(
                "could not read " + relative + " in the repository (" + why + ")", new SafeCause(e));
    }

    private RepositoryException.Unreadable ioFailure(String relative, IOException e) {
        String why = e instanceof SocketTimeoutException || e instanceof InterruptedIOException
                ? "no answer from " + endpointShown + " within " + timeout.toMillis() + " ms"
                : "the download broke off";
        return new RepositoryException.Unreadable(
                "could not read " + relative + " in the repository (" + why + ")", new SafeCause(e));
    }

    private static String errorCode(SdkServiceException e) {
        if (e instanceof software.amazon.awssdk.awscore.exception.AwsServiceException ae
                && ae.awsErrorDetails() != null
                && ae.awsErrorDetails().errorCode() != null) {
            return ModelNames.printable(ae.awsErrorDetails().errorCode());
        }
        return "status " + e.statusCode();
    }

    /** Why the client got no answer, in a few words. */
    static String clientReason(SdkException e) {
        if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException) {
            return "no answer in time from the S3 endpoint";
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SocketTimeoutException) {
                return "no answer in time from the S3 endpoint";
            }
            if (t instanceof ConnectException) {
                return "cannot connect to the S3 endpoint";
            }
            if (t instanceof UnknownHostException) {
                return "the S3 endpoint's host name does not resolve";
            }
            if (t.getMessage() != null && t.getMessage().startsWith("Unable to load credentials")) {
                return "no credentials found: the AWS SDK's default chain (AWS_ACCESS_KEY_ID and"
                        + " AWS_SECRET_ACCESS_KEY, AWS_PROFILE, a web identity token) found none";
            }
        }
        return "the S3 client failed: " + e.getClass().getSimpleName();
    }

    /**
     * The SDK's exception kept for the log's stack trace, its message reduced to the class and status: an
     * SDK message can echo request details, which have no place in a message shown to users.
     */
    private static final class SafeCause extends Exception {
        private static final long serialVersionUID = 1L;

        SafeCause(Exception e) {
            super(e.getClass().getSimpleName()
                    + (e instanceof SdkServiceException se ? " (status " + se.statusCode() + ")" : ""));
            setStackTrace(e.getStackTrace());
        }
    }
}
