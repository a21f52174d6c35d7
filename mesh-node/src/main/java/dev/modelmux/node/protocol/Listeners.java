package dev.modelmux.node.protocol;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.ServerSSLOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * One listening port served by several event loops: the same server started from {@code instances}
 * verticles, which Vert.x binds to distinct event loops and feeds round robin from the shared port. A
 * slow handler (a large message being parsed, a scrape being rendered) then holds up only the
 * connections of its own loop.
 */
public final class Listeners {
    private final List<HttpServer> servers;
    private final int port;

    private Listeners(List<HttpServer> servers, int port) {
        this.servers = List.copyOf(servers);
        this.port = port;
    }

    /** How many event loops a server gets on a machine with {@code cores} cores: half of them, 1 to 8. */
    public static int instancesFor(int cores) {
        return Math.max(1, Math.min(8, cores / 2));
    }

    /** Binds {@code options}' port (the first instance picks it when it is 0), then the other instances. */
    public static Future<Listeners> listen(
            Vertx vertx, HttpServerOptions options, Handler<HttpServerRequest> handler, int instances) {
        List<HttpServer> started = new CopyOnWriteArrayList<>();
        return deploy(vertx, new HttpServerOptions(options), handler, 1, started)
                .compose(first -> {
                    int port = started.get(0).actualPort();
                    if (instances <= 1) {
                        return Future.succeededFuture(new Listeners(started, port));
                    }
                    return deploy(vertx, new HttpServerOptions(options).setPort(port), handler, instances - 1, started)
                            .map(v -> new Listeners(new ArrayList<>(started), port));
                });
    }

    private static Future<String> deploy(
            Vertx vertx,
            HttpServerOptions options,
            Handler<HttpServerRequest> handler,
            int instances,
            List<HttpServer> started) {
        return vertx.deployVerticle(
                () -> new AbstractVerticle() {
                    @Override
                    public void start(Promise<Void> done) {
                        vertx.createHttpServer(options)
                                .requestHandler(handler)
                                .listen()
                                .onSuccess(started::add)
                                .<Void>mapEmpty()
                                .onComplete(done);
                    }
                },
                new DeploymentOptions().setInstances(instances));
    }

    public int actualPort() {
        return port;
    }

    /**
     * Puts new TLS options in force for new connections (connections already open keep theirs). The
     * instances share one listening socket, so the first one's update is every loop's; the others are
     * updated too so none keeps a stale copy.
     */
    public Future<Void> updateSsl(ServerSSLOptions options) {
        Future<Boolean> chain = Future.succeededFuture(true);
        for (HttpServer s : servers) {
            chain = chain.compose(v -> s.updateSSLOptions(options, true));
        }
        return chain.mapEmpty();
    }

    /** Stops accepting and waits up to {@code timeout} for the requests in flight on every loop. */
    public Future<Void> shutdown(long timeout, TimeUnit unit) {
        return Future.join(servers.stream().map(s -> s.shutdown(timeout, unit)).toList())
                .mapEmpty();
    }

    /** Closes every loop's server at once. */
    public Future<Void> close() {
        return Future.join(servers.stream().map(HttpServer::close).toList()).mapEmpty();
    }
}
