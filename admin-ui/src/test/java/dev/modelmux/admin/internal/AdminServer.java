package dev.modelmux.admin.internal;

import dev.modelmux.admin.AdminBackend;
import dev.modelmux.admin.AdminFailure;
import dev.modelmux.admin.AdminHttp;
import dev.modelmux.admin.AdminToken;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/** The admin API over a {@link FakeMesh} on a real Vert.x web router, on an ephemeral port, with a real HTTP client. */
final class AdminServer implements AutoCloseable {
    static final String TOKEN = "the-admin-token-0123456789";
    static final String BEARER = "Bearer " + TOKEN;
    /** What the fake clock reads until a test moves it. */
    static final long NOW_MS = 1_700_000_000_000L;

    final Vertx vertx = Vertx.vertx();
    final AtomicLong clockMillis = new AtomicLong(NOW_MS);
    final AdminHttp http;
    final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final HttpServer server;
    private AdminRoutes api;

    /** The admin API over {@code mesh}, at most {@code maxStreams} streams open. */
    static AdminServer api(FakeMesh mesh, int maxStreams) {
        return new AdminServer(t -> Optional.empty(), (s, router) -> {
            s.api = new AdminRoutes(
                    s.vertx, s.http, new AdminBackend(mesh, mesh, mesh, mesh), s.clockMillis::get, maxStreams);
            s.api.mount(router);
        });
    }

    static AdminServer api(FakeMesh mesh) {
        return api(mesh, EventStream.MAX_STREAMS);
    }

    /** Bare routes mounted by {@code routes} on a router, guarded by an AdminHttp with {@code translate}. */
    static AdminServer routes(
            Function<Throwable, Optional<AdminFailure>> translate, BiConsumer<AdminServer, Router> routes) {
        return new AdminServer(translate, routes);
    }

    private AdminServer(Function<Throwable, Optional<AdminFailure>> translate, BiConsumer<AdminServer, Router> routes) {
        this.http = new GuardedRoutes(AdminToken.of(TOKEN), translate);
        Router router = Router.router(vertx);
        routes.accept(this, router);
        try {
            this.server = vertx.createHttpServer()
                    .requestHandler(router)
                    .listen(0, "127.0.0.1")
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException(e);
        }
    }

    AdminRoutes api() {
        return api;
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.actualPort() + path);
    }

    /** A call with the admin token. */
    Reply admin(String method, String path, String body, String... headers) {
        String[] all = new String[headers.length + 2];
        all[0] = "authorization";
        all[1] = BEARER;
        System.arraycopy(headers, 0, all, 2, headers.length);
        return send(method, path, body, all);
    }

    Reply send(String method, String path, String body, String... headers) {
        return send(method, path, body, b -> {
            for (int i = 0; i + 1 < headers.length; i += 2) {
                b.header(headers[i], headers[i + 1]);
            }
        });
    }

    private Reply send(String method, String path, String body, Consumer<HttpRequest.Builder> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
                .timeout(Duration.ofSeconds(30))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        headers.accept(b);
        try {
            HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body(), r.headers());
        } catch (Exception e) {
            throw new IllegalStateException(method + " " + path + ": " + e, e);
        }
    }

    @Override
    public void close() {
        if (api != null) {
            api.close();
        }
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** An answer: status, body, headers. */
    record Reply(int status, String body, HttpHeaders headers) {
        JsonObject json() {
            return new JsonObject(body);
        }

        String error() {
            return json().getString("error");
        }

        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }
}
