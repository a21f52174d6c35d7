package dev.modelmux.repo.testing;

import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A real S3 API server for tests: S3Proxy over a filesystem blob store in a temporary folder, on an
 * ephemeral loopback port, with one bucket. The node under test finds its credentials where the SDK's
 * default chain looks first (the {@code aws.accessKeyId}/{@code aws.secretAccessKey} system properties,
 * set here); the test side writes objects with a client of its own. {@link #freeze()} stops answering
 * on the same port (connections are accepted by the kernel, never answered).
 */
public final class S3TestServer implements AutoCloseable {
    public static final String ACCESS_KEY = "modelmux-test-access";
    public static final String SECRET_KEY = "modelmux-test-secret-0123456789";

    static {
        System.setProperty("aws.accessKeyId", ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", SECRET_KEY);
    }

    public final String bucket;
    private final S3Proxy proxy;
    private final BlobStore store;
    private final S3Client client;
    private final int port;
    /** Objects served (GET), counted by the blob store. */
    public final AtomicInteger gets = new AtomicInteger();

    /** While set, listings and reads are answered 503 SlowDown, as a throttling bucket does. */
    public final AtomicBoolean throttle = new AtomicBoolean();

    private ServerSocket frozen;

    private void throttled() {
        if (throttle.get()) {
            throw (S3Exception) S3Exception.builder()
                    .statusCode(503)
                    .message("Please reduce your request rate.")
                    .awsErrorDetails(AwsErrorDetails.builder()
                            .errorCode("SlowDown")
                            .errorMessage("Please reduce your request rate.")
                            .build())
                    .build();
        }
    }

    /** A server whose bucket {@code bucket} exists and that knows the test's credentials. */
    public S3TestServer(Path dir, String bucket) throws Exception {
        this(dir, bucket, ACCESS_KEY, SECRET_KEY);
    }

    /** A server that accepts only {@code identity}/{@code credential}. */
    public S3TestServer(Path dir, String bucket, String identity, String credential) throws Exception {
        this.bucket = bucket;
        store = new ForwardingBlobStore(new FilesystemNio2BlobStore(dir.toString())) {
            @Override
            public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
                throttled();
                gets.incrementAndGet();
                return super.getBlob(request);
            }

            @Override
            public ListObjectsV2Response list(ListObjectsV2Request request) {
                throttled();
                return super.list(request);
            }
        };
        store.createContainer(software.amazon.awssdk.services.s3.model.CreateBucketRequest.builder()
                .bucket(bucket)
                .build());
        proxy = S3Proxy.builder()
                .blobStore(store)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, identity, credential)
                .build();
        proxy.start();
        // S3Proxy starts Jetty in the background: wait for it, but not forever.
        long giveUp = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!proxy.getState().equals("STARTED")) {
            if (System.nanoTime() - giveUp > 0) {
                throw new IllegalStateException("S3Proxy did not start within 2 minutes: " + proxy.getState());
            }
            Thread.sleep(10);
        }
        port = proxy.getPort();
        client = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .endpointOverride(endpoint())
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(identity, credential)))
                .build();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    public String root(String prefix) {
        return "s3://" + bucket + "/" + prefix;
    }

    /** Writes an object through the blob store S3Proxy serves (in process: fast, and the same store). */
    public void put(String key, byte[] bytes) {
        store.putBlob(
                PutObjectRequest.builder()
                        .bucket(bucket)
                        .key(key)
                        .contentLength((long) bytes.length)
                        .build(),
                new ByteArrayInputStream(bytes));
    }

    /** Writes an object over HTTP, as any S3 client would. */
    public void upload(String key, byte[] bytes) {
        client.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(bytes));
    }

    public void put(String key, String text) {
        put(key, text.getBytes(StandardCharsets.UTF_8));
    }

    public void delete(String key) {
        store.removeBlob(DeleteObjectRequest.builder().bucket(bucket).key(key).build());
    }

    /** The server stops answering: S3Proxy stops, and a socket that never accepts holds its port. */
    public void freeze() throws Exception {
        proxy.stop();
        frozen = new ServerSocket();
        frozen.setReuseAddress(true);
        frozen.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
    }

    @Override
    public void close() throws Exception {
        client.close();
        if (frozen != null) {
            frozen.close();
        } else {
            proxy.stop();
        }
    }

    /** Closes quietly (test teardown). */
    public void closeQuietly() {
        try {
            close();
        } catch (Exception | Error e) {
            // best effort
        }
    }
}
