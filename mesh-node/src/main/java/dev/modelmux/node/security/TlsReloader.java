package dev.modelmux.node.security;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts new TLS files in force without a restart (Kubernetes rotates a mounted Secret in place). Every
 * {@code tls-reload-interval} a worker thread reads the files and compares their SHA-256 with what is in
 * force; when they changed and check out ({@link TlsMaterial#read}: a certificate with its own key), each
 * target is handed the new material (the servers' and the forward client's SSL options), and new handshakes
 * use it; connections already open keep theirs. Files that changed but do not check out (a rotation caught
 * half written, a key that is not the certificate's) are logged once and left out of force: the previous
 * material keeps serving, and the next change is tried again. Never reads files on an event loop.
 */
public final class TlsReloader {
    private static final Logger LOG = LoggerFactory.getLogger(TlsReloader.class);

    private final Vertx vertx;
    private final TlsConfig config;
    private final List<Function<TlsMaterial, Future<?>>> targets = new CopyOnWriteArrayList<>();
    private final AtomicBoolean checking = new AtomicBoolean();
    private final Consumer<String> outcomes;
    private volatile TlsMaterial current;
    private volatile byte[] refused;
    private long timer = -1;

    /** @param outcomes told {@code applied} or {@code refused} for each change of the files (a metric) */
    public TlsReloader(Vertx vertx, TlsConfig config, TlsMaterial initial, Consumer<String> outcomes) {
        this.vertx = vertx;
        this.outcomes = outcomes;
        this.config = config;
        this.current = initial;
    }

    /** Adds something that must be handed each new material (its future completes when it is in force). */
    public TlsReloader target(Function<TlsMaterial, Future<?>> apply) {
        targets.add(apply);
        return this;
    }

    /** Starts polling, unless the interval is zero. */
    public synchronized void start() {
        long ms = config.reloadInterval().toMillis();
        if (ms > 0 && timer < 0) {
            timer = vertx.setPeriodic(ms, id -> check());
        }
    }

    public synchronized void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }

    /** The material in force. */
    public TlsMaterial current() {
        return current;
    }

    /**
     * Checks the files now (off the event loop) and puts a change in force: true when new material was put
     * in force, false when nothing changed, a check was already running, or the new files were refused.
     */
    public Future<Boolean> check() {
        if (!checking.compareAndSet(false, true)) {
            return Future.succeededFuture(false);
        }
        return vertx.<TlsMaterial>executeBlocking(() -> {
                    TlsMaterial.Contents files = TlsMaterial.load(config);
                    if (current.sameAs(files)) {
                        return null;
                    }
                    byte[] digest = files.digest();
                    try {
                        return TlsMaterial.of(vertx, files, config);
                    } catch (IllegalArgumentException e) {
                        if (refused == null || !Arrays.equals(refused, digest)) {
                            LOG.warn(
                                    "TLS files changed but cannot be used ({}); the previous certificate stays in force",
                                    e.getMessage());
                            outcomes.accept("refused");
                        }
                        refused = digest;
                        return null;
                    }
                })
                .compose(next -> {
                    if (next == null) {
                        return Future.succeededFuture(false);
                    }
                    return Future.all(targets.stream().map(t -> t.apply(next)).toList())
                            .map(v -> {
                                current = next;
                                refused = null;
                                outcomes.accept("applied");
                                LOG.info(
                                        "TLS: certificate {} (serial {}) in force for new connections",
                                        next.certificate().getSubjectX500Principal(),
                                        next.serial().toString(16));
                                return true;
                            });
                })
                .recover(t -> {
                    LOG.warn("TLS files could not be checked: {}", t.getMessage());
                    return Future.succeededFuture(false);
                })
                .andThen(ar -> checking.set(false));
    }
}
