package dev.modelmux.admin.internal;

import dev.modelmux.admin.AdminFailure;
import dev.modelmux.admin.AdminHttp;
import dev.modelmux.admin.MeshReadModel;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * {@code GET /api/v1/stream}: {@code text/event-stream} of {@code hello} ({@code {node}}), {@code
 * cluster} (the cluster document whenever it changes, checked every {@value #PUSH_MS} ms) and {@code
 * timeline} (one event as it is added), with a comment line when a stream has been quiet for
 * {@value #HEARTBEAT_MS} ms. At most {@code maxStreams} are open at once; a slow client misses frames
 * (it refetches what it missed) rather than making the node buffer them.
 */
final class EventStream {
    static final long PUSH_MS = 500;
    static final long HEARTBEAT_MS = 15_000;
    static final int MAX_STREAMS = 64;

    private final Vertx vertx;
    private final AdminHttp http;
    private final MeshReadModel mesh;
    private final LongSupplier clockMillis;
    private final int maxStreams;
    private final Set<Stream> streams = new CopyOnWriteArraySet<>();
    private final AtomicBoolean pushing = new AtomicBoolean();
    private volatile String lastClusterJson = "";
    private volatile boolean closed;
    private Runnable stopListening = () -> {};
    private long pushTimer = -1;

    EventStream(Vertx vertx, AdminHttp http, MeshReadModel mesh, LongSupplier clockMillis, int maxStreams) {
        this.vertx = vertx;
        this.http = http;
        this.mesh = mesh;
        this.clockMillis = clockMillis;
        this.maxStreams = maxStreams;
    }

    void mount(Router r) {
        http.guard(r.get("/api/v1/stream"), 0).handler(this::open);
        // Events arrive on the thread that adds them; frames go out from one context.
        Context context = vertx.getOrCreateContext();
        stopListening = mesh.onEvent(e -> context.runOnContext(v -> {
            String frame = frame("timeline", MeshJson.event(e));
            streams.forEach(s -> s.send(frame));
        }));
        pushTimer = vertx.setPeriodic(PUSH_MS, id -> pushCluster());
    }

    void close() {
        closed = true;
        stopListening.run();
        if (pushTimer >= 0) {
            vertx.cancelTimer(pushTimer);
        }
        streams.forEach(Stream::close);
    }

    int openStreams() {
        return streams.size();
    }

    private void open(RoutingContext ctx) {
        if (closed) {
            http.fail(ctx, AdminFailure.of(AdminFailure.Kind.UNAVAILABLE, "this node is stopping; streams are closed"));
            return;
        }
        if (streams.size() >= maxStreams) {
            http.fail(
                    ctx,
                    AdminFailure.of(AdminFailure.Kind.TOO_MANY_REQUESTS, "too many admin streams open on this node"));
            return;
        }
        HttpServerResponse res = ctx.response()
                .setChunked(true)
                .putHeader("content-type", "text/event-stream; charset=utf-8")
                .putHeader("cache-control", "no-store")
                .putHeader("content-encoding", "identity")
                .putHeader("x-accel-buffering", "no");
        Stream s = new Stream(res);
        streams.add(s);
        res.closeHandler(v -> s.close());
        res.exceptionHandler(t -> s.close());
        s.send(frame("hello", new JsonObject().put("node", mesh.nodeId())));
        mesh.mesh().onSuccess(view -> s.send(frame("cluster", MeshJson.cluster(view))));
    }

    private void pushCluster() {
        if (streams.isEmpty() || !pushing.compareAndSet(false, true)) {
            return;
        }
        mesh.mesh().onComplete(ar -> {
            pushing.set(false);
            if (ar.succeeded()) {
                String json = MeshJson.cluster(ar.result()).encode();
                if (!json.equals(lastClusterJson)) {
                    lastClusterJson = json;
                    String frame = "event: cluster\ndata: " + json + "\n\n";
                    streams.forEach(s -> s.send(frame));
                }
            }
        });
        long now = clockMillis.getAsLong();
        streams.forEach(s -> s.heartbeat(now));
    }

    private static String frame(String event, JsonObject data) {
        return "event: " + event + "\ndata: " + data.encode() + "\n\n";
    }

    /** One open stream; writes are dropped while the client is slow. */
    private final class Stream {
        private final HttpServerResponse res;
        private final AtomicBoolean ended = new AtomicBoolean();
        private volatile long lastWrite = clockMillis.getAsLong();

        Stream(HttpServerResponse res) {
            this.res = res;
        }

        void send(String frame) {
            if (ended.get() || res.closed()) {
                close();
                return;
            }
            if (res.writeQueueFull()) {
                return;
            }
            lastWrite = clockMillis.getAsLong();
            res.write(frame);
        }

        void heartbeat(long now) {
            if (now - lastWrite >= HEARTBEAT_MS) {
                send(": keep-alive\n\n");
            }
        }

        void close() {
            if (ended.compareAndSet(false, true)) {
                streams.remove(this);
                if (!res.ended() && !res.closed()) {
                    res.end();
                }
            }
        }
    }
}
