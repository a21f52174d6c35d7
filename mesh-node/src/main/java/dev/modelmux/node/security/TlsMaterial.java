package dev.modelmux.node.security;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;

/**
 * One reading of the TLS files ({@link TlsConfig}), checked as a whole: the certificates parse, the key
 * parses and belongs to the first certificate, the client CA file holds certificates. Reading is blocking
 * I/O: never on an event loop.
 *
 * <p>What the node does with it: its servers present the certificate; with a client CA they require (gRPC)
 * or request (REST: see {@code ClientCertGate}) a client certificate that chains to it. Its calls to other
 * nodes present the same certificate and trust the client CA's certificates and every certificate of the
 * node's own chain file (so nodes sharing one certificate, or certificates whose issuer is in the chain,
 * trust each other without a CA file). They do not verify the peer's host name: nodes reach each other by
 * the pod IP a node record advertises, which certificates rarely name; what a node trusts is the mesh's own
 * material, and which node is which is settled by records only holders of the cluster secret can write.
 */
public final class TlsMaterial {
    private final Buffer cert;
    private final Buffer key;
    private final Optional<Buffer> clientCa;
    private final X509Certificate leaf;
    private final byte[] digest;

    private TlsMaterial(Buffer cert, Buffer key, Optional<Buffer> clientCa, X509Certificate leaf, byte[] digest) {
        this.cert = cert;
        this.key = key;
        this.clientCa = clientCa;
        this.leaf = leaf;
        this.digest = digest;
    }

    /** The files' contents, read now: what {@link #digest} and {@link #read} see. Blocking. */
    public record Contents(byte[] cert, byte[] key, Optional<byte[]> clientCa) {
        /** SHA-256 over the three files, each length-prefixed: changes when any file does. */
        public byte[] digest() {
            try {
                MessageDigest d = MessageDigest.getInstance("SHA-256");
                for (byte[] b : new byte[][] {cert, key, clientCa.orElse(new byte[0])}) {
                    d.update(java.nio.ByteBuffer.allocate(4).putInt(b.length).array());
                    d.update(b);
                }
                return d.digest();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Reads the three files. Blocking. @throws IllegalArgumentException naming the key of a file that cannot be read */
    public static Contents load(TlsConfig config) {
        return new Contents(
                bytes("tls-cert", config.cert()),
                bytes("tls-key", config.key()),
                config.clientCa().map(p -> bytes("tls-client-ca", p)));
    }

    /**
     * Reads and checks the files. Blocking.
     *
     * @throws IllegalArgumentException naming the key ({@code tls-cert}, {@code tls-key}, {@code tls-client-ca})
     *     of what is wrong
     */
    public static TlsMaterial read(Vertx vertx, TlsConfig config) {
        return of(vertx, load(config), config);
    }

    /** Checks files already read (see {@link #load}). */
    public static TlsMaterial of(Vertx vertx, Contents files, TlsConfig config) {
        List<X509Certificate> chain = certificates("tls-cert", config.cert(), files.cert());
        if (files.clientCa().isPresent()) {
            certificates(
                    "tls-client-ca",
                    config.clientCa().orElseThrow(),
                    files.clientCa().get());
        }
        Buffer cert = Buffer.buffer(files.cert());
        Buffer key = Buffer.buffer(files.key());
        X509Certificate leaf = chain.get(0);
        PrivateKey privateKey = privateKey(vertx, config, cert, key, leaf);
        if (!belongsTo(privateKey, leaf)) {
            throw new IllegalArgumentException("tls-key: " + config.key()
                    + " is not the key of the first certificate in " + config.cert() + " (tls-cert)");
        }
        return new TlsMaterial(cert, key, files.clientCa().map(Buffer::buffer), leaf, files.digest());
    }

    /** What the node's servers present, and, with a client CA, what they ask of clients. */
    public ServerSSLOptions server(ClientAuth clientAuth) {
        ServerSSLOptions o = new ServerSSLOptions().setKeyCertOptions(keyCert()).setUseAlpn(true);
        clientCa.ifPresent(
                ca -> o.setTrustOptions(new PemTrustOptions().addCertValue(ca)).setClientAuth(clientAuth));
        return o;
    }

    /** What the node's calls to other nodes present and trust (no host name verification: see above). */
    public ClientSSLOptions client() {
        PemTrustOptions trust = new PemTrustOptions().addCertValue(cert);
        clientCa.ifPresent(trust::addCertValue);
        return new ClientSSLOptions()
                .setKeyCertOptions(keyCert())
                .setTrustOptions(trust)
                .setHostnameVerificationAlgorithm("")
                .setUseAlpn(true);
    }

    public PemKeyCertOptions keyCert() {
        return new PemKeyCertOptions().setCertValue(cert).setKeyValue(key);
    }

    /** The node's certificate. */
    public X509Certificate certificate() {
        return leaf;
    }

    public BigInteger serial() {
        return leaf.getSerialNumber();
    }

    /** Whether {@code files} are what this was read from. */
    public boolean sameAs(Contents files) {
        return MessageDigest.isEqual(digest, files.digest());
    }

    public boolean mutual() {
        return clientCa.isPresent();
    }

    private static byte[] bytes(String key, Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(key + ": cannot read " + file);
        }
    }

    private static List<X509Certificate> certificates(String key, Path file, byte[] pem) {
        List<X509Certificate> out = new ArrayList<>();
        try {
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem))) {
                out.add((X509Certificate) c);
            }
        } catch (CertificateException | RuntimeException e) {
            throw new IllegalArgumentException(key + ": " + file + " is not PEM certificates");
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(key + ": " + file + " holds no certificate");
        }
        return out;
    }

    /** The key as Vert.x reads it (PKCS#8, PKCS#1 RSA, SEC1 EC), paired with the certificate. */
    private static PrivateKey privateKey(Vertx vertx, TlsConfig config, Buffer cert, Buffer key, X509Certificate leaf) {
        try {
            KeyManager[] managers = new PemKeyCertOptions()
                    .setCertValue(cert)
                    .setKeyValue(key)
                    .getKeyManagerFactory(vertx)
                    .getKeyManagers();
            for (KeyManager m : managers) {
                if (m instanceof X509KeyManager km) {
                    String[] aliases = km.getServerAliases(leaf.getPublicKey().getAlgorithm(), null);
                    if (aliases != null && aliases.length > 0) {
                        return km.getPrivateKey(aliases[0]);
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalArgumentException("tls-key: " + config.key() + " is not a PEM private key ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
        throw new IllegalArgumentException(
                "tls-key: " + config.key() + " is not a key of the type of the certificate in " + config.cert() + " ("
                        + leaf.getPublicKey().getAlgorithm() + ")");
    }

    /** Signs random bytes with the key and verifies them with the certificate's public key. */
    private static boolean belongsTo(PrivateKey key, X509Certificate leaf) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "Ed448" -> "Ed448";
            default -> null;
        };
        if (algorithm == null) {
            return true; // a type the JDK cannot sign with here: the handshake will tell
        }
        try {
            byte[] probe = new byte[32];
            new SecureRandom().nextBytes(probe);
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(probe);
            byte[] signature = s.sign();
            Signature v = Signature.getInstance(algorithm);
            v.initVerify(leaf.getPublicKey());
            v.update(probe);
            return v.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "TlsMaterial[" + leaf.getSubjectX500Principal() + ", serial "
                + leaf.getSerialNumber().toString(16) + ", digest " + Arrays.hashCode(digest) + "]";
    }
}
