package dev.modelmux.node.protocol;

import dev.modelmux.admin.AdminToken;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.security.AdminAuth;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * {@code GET /metrics} in Prometheus' text format, rendered on a worker into chunks of {@value #CHUNK_BYTES}
 * bytes, which the event loop then writes a few at a time, yielding between turns and waiting for the
 * connection to drain (a scrape of a node with many models takes long and must not hold up an event loop,
 * nor the liveness probe behind it; compression, when the client asks for it, runs chunk by chunk too).
 *
 * <p>Who may scrape: with a metrics token, whoever presents it (or the admin token); without one,
 * anyone on a port of its own ({@code metrics-port}, for the operators' network) and, on the REST port,
 * anyone while no tenants are configured. With tenants and no token, the REST port's {@code /metrics}
 * needs the admin token: its labels name every model and tenant, which callers of the data path must
 * not learn.
 */
public final class MetricsEndpoint {
    static final int CHUNK_BYTES = 64 * 1024;
    /** Chunks written per turn of the event loop before it serves other events. */
    private static final int CHUNKS_PER_TURN = 4;

    private final Vertx vertx;
    private final PrometheusMeterRegistry registry;
    private final Optional<AdminToken> token;
    private final AdminAuth admin;
    private final BooleanSupplier tenantsConfigured;

    public MetricsEndpoint(
            Vertx vertx,
            PrometheusMeterRegistry registry,
            Optional<String> token,
            AdminAuth admin,
            BooleanSupplier tenantsConfigured) {
        this.vertx = vertx;
        this.registry = registry;
        this.token = token.map(AdminToken::of);
        this.admin = admin;
        this.tenantsConfigured = tenantsConfigured;
    }

    /** Serves {@code /metrics} on {@code router}; {@code ownPort}: the router serves nothing else. */
    public Router mount(Router router, boolean ownPort) {
        router.get("/metrics")
                .handler(new CredentialGate(authorization -> check(authorization, ownPort)))
                .handler(this::scrape);
        return router;
    }

    private void check(String authorization, boolean ownPort) {
        if (token.isPresent()) {
            AdminToken.Verdict v = token.get().verify(authorization);
            if (v != AdminToken.Verdict.ACCEPTED && !admin.accepts(authorization)) {
                throw new ServingException(
                        ServingException.Code.UNAUTHENTICATED,
                        v == AdminToken.Verdict.MISSING
                                ? "metrics need the metrics token: send 'authorization: Bearer <metrics token>'"
                                : "the metrics token is not valid");
            }
            return;
        }
        if (!ownPort && tenantsConfigured.getAsBoolean() && !admin.accepts(authorization)) {
            throw new ServingException(
                    ServingException.Code.UNAUTHENTICATED,
                    "with tenants configured, /metrics on this port needs the admin token; give Prometheus a"
                            + " metrics-token, or serve metrics on their own metrics-port");
        }
    }

    private void scrape(RoutingContext ctx) {
        vertx.executeBlocking(this::render, false).onComplete(ar -> {
            if (ar.succeeded()) {
                HttpServerResponse r = ctx.response();
                long bytes = ar.result().stream().mapToLong(Buffer::length).sum();
                r.putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
                        .putHeader("content-length", Long.toString(bytes));
                pump(vertx.getOrCreateContext(), r, new ArrayDeque<>(ar.result()));
            } else {
                ctx.response()
                        .setStatusCode(500)
                        .putHeader("content-type", "application/json")
                        .end(new JsonObject()
                                .put("error", "metrics could not be rendered; see the server log")
                                .encode());
            }
        });
    }

    /** On the worker: the whole scrape, in chunks. */
    private List<Buffer> render() throws IOException {
        Chunks out = new Chunks();
        registry.scrape(out);
        return out.chunks;
    }

    /** Writes up to {@link #CHUNKS_PER_TURN} chunks, then continues on the next turn or once the connection drains. */
    private static void pump(Context context, HttpServerResponse r, Deque<Buffer> rest) {
        for (int i = 0; i < CHUNKS_PER_TURN; i++) {
            if (r.closed() || r.ended()) {
                return; // the client went away: drop the rest
            }
            Buffer chunk = rest.poll();
            if (rest.isEmpty()) {
                if (chunk == null) {
                    r.end();
                } else {
                    r.end(chunk);
                }
                return;
            }
            r.write(chunk);
            if (r.writeQueueFull()) {
                r.drainHandler(v -> pump(context, r, rest));
                return;
            }
        }
        context.runOnContext(v -> pump(context, r, rest));
    }

    /** An output stream into buffers of {@link #CHUNK_BYTES}. */
    private static final class Chunks extends OutputStream {
        final List<Buffer> chunks = new ArrayList<>();
        private Buffer current;

        private Buffer current() {
            if (current == null || current.length() >= CHUNK_BYTES) {
                current = Buffer.buffer(CHUNK_BYTES);
                chunks.add(current);
            }
            return current;
        }

        @Override
        public void write(int b) {
            current().appendByte((byte) b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            while (len > 0) {
                Buffer c = current();
                int n = Math.min(len, CHUNK_BYTES - c.length());
                c.appendBytes(b, off, n);
                off += n;
                len -= n;
            }
        }
    }
}
