package dev.modelmux.node.protocol;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Mutual TLS on an HTTP port whose health must stay reachable: the server only requests a client
 * certificate (a presented one must chain to the client CA, or the handshake fails), and this gate
 * answers every request of a connection that presented none with 401 before anything else reads it,
 * except the health paths that Kubernetes' probes call (a kubelet presents no certificate).
 */
public final class ClientCertGate implements Handler<HttpServerRequest> {
    /** Answered without a client certificate. */
    public static final Set<String> OPEN = Set.of("/v2/health/live", "/v2/health/ready");

    private final Handler<HttpServerRequest> next;

    public ClientCertGate(Handler<HttpServerRequest> next) {
        this.next = next;
    }

    @Override
    public void handle(HttpServerRequest req) {
        if (OPEN.contains(req.path()) || verified(req)) {
            next.handle(req);
            return;
        }
        req.response()
                .setStatusCode(401)
                .putHeader("content-type", "application/json")
                .putHeader("connection", "close")
                .end("{\"error\":\"this server requires a client certificate issued by its client CA\"}");
    }

    private static boolean verified(HttpServerRequest req) {
        if (!req.isSSL()) {
            return false;
        }
        try {
            return !req.connection().peerCertificates().isEmpty();
        } catch (SSLPeerUnverifiedException e) {
            return false;
        }
    }
}
