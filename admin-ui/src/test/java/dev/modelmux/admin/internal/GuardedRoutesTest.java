package dev.modelmux.admin.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.admin.AdminFailure;
import dev.modelmux.admin.AdminHttp;
import dev.modelmux.admin.AdminReply;
import dev.modelmux.admin.AdminToken;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The guard and the one error mapper, on real routes: the token before the body, the body limit, and
 * every failure type answered {@code {"error"}} with its status and {@code cache-control: no-store}.
 */
class GuardedRoutesTest {
    /** A failure type of the backend's own, which its translator maps. */
    private static final class Busy extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Busy() {
            super("busy", null, false, false);
        }
    }

    private static final long LIMIT = 1024;

    private final AtomicReference<Throwable> next = new AtomicReference<>();
    private final List<String> bodiesRead = new CopyOnWriteArrayList<>();
    private AdminServer server;

    @BeforeEach
    void start() {
        server = AdminServer.routes(
                t -> t instanceof Busy
                        ? Optional.of(AdminFailure.of(AdminFailure.Kind.TOO_MANY_REQUESTS, "busy, retry", 1500))
                        : Optional.empty(),
                (s, r) -> {
                    s.http.handle(r.post("/echo"), LIMIT, ctx -> {
                        bodiesRead.add(ctx.body().asString());
                        Throwable t = next.getAndSet(null);
                        if (t != null) {
                            return Future.failedFuture(t);
                        }
                        return Future.succeededFuture(AdminReply.ok(
                                new JsonObject().put("echo", ctx.body().asString())));
                    });
                    s.http.handle(r.get("/throws"), 0, ctx -> {
                        throw (RuntimeException) next.getAndSet(null);
                    });
                    s.http.handle(
                            r.get("/versioned"),
                            0,
                            ctx -> Future.succeededFuture(AdminReply.versioned(201, new JsonObject().put("v", 7), 7)));
                });
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aReplyIsJsonThatIsNeverCachedAndAVersionIsItsETag() {
        AdminServer.Reply ok = server.admin("POST", "/echo", "hello");
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.json().getString("echo")).isEqualTo("hello");
        assertThat(ok.header("content-type")).isEqualTo("application/json");
        assertThat(ok.header("cache-control")).isEqualTo("no-store");
        assertThat(ok.header("etag")).isNull();

        AdminServer.Reply versioned = server.admin("GET", "/versioned", null);
        assertThat(versioned.status()).isEqualTo(201);
        assertThat(versioned.header("etag")).isEqualTo("\"7\"");
    }

    @Test
    void theTokenIsCheckedBeforeAnyBodyIsReadAndNeverEchoed() {
        String wrong = "Bearer not-the-token-but-long-enough";
        String huge = "x".repeat((int) LIMIT * 8);
        for (String[] auth : new String[][] {{}, {"authorization", wrong}, {"authorization", AdminServer.TOKEN}}) {
            // A body over the limit: refused for the token (401), not for its size (413), so it was never read.
            AdminServer.Reply r = server.send("POST", "/echo", huge, auth);
            assertThat(r.status()).as(String.join(" ", auth)).isEqualTo(401);
            assertThat(r.header("www-authenticate")).isEqualTo("Bearer");
            assertThat(r.header("cache-control")).isEqualTo("no-store");
            assertThat(r.error()).contains("admin token").doesNotContain("not-the-token");
        }
        assertThat(server.send("POST", "/echo", "small").error())
                .isEqualTo("this call needs the admin token: send 'authorization: Bearer <admin token>'");
        assertThat(server.send("POST", "/echo", "small", "authorization", AdminServer.TOKEN)
                        .error())
                .isEqualTo("authorization must be 'Bearer <admin token>'");
        assertThat(server.send("POST", "/echo", "small", "authorization", wrong).error())
                .isEqualTo("the admin token is not valid");
        assertThat(bodiesRead).isEmpty();
        // The connection still serves the next call.
        assertThat(server.admin("POST", "/echo", "after").status()).isEqualTo(200);
        assertThat(server.send("POST", "/echo", "ok", "authorization", "bEaReR " + AdminServer.TOKEN)
                        .status())
                .isEqualTo(200);
    }

    @Test
    void aBodyOverTheLimitIsA413NamingIt() {
        AdminServer.Reply r = server.admin("POST", "/echo", "x".repeat((int) LIMIT + 1));
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.error()).isEqualTo("request body exceeds this endpoint's maximum of 1024 bytes");
        assertThat(r.header("cache-control")).isEqualTo("no-store");
        assertThat(server.admin("POST", "/echo", "x".repeat((int) LIMIT)).status())
                .isEqualTo(200);
    }

    @Test
    void everyKindIsAnsweredWithItsStatusAndMessage() {
        for (AdminFailure.Kind kind : AdminFailure.Kind.values()) {
            next.set(AdminFailure.of(kind, "because " + kind));
            AdminServer.Reply r = server.admin("POST", "/echo", "{}");
            assertThat(r.status()).as(kind.name()).isEqualTo(kind.status());
            assertThat(r.json()).isEqualTo(new JsonObject().put("error", "because " + kind));
            assertThat(r.header("content-type")).isEqualTo("application/json");
            assertThat(r.header("cache-control")).isEqualTo("no-store");
            assertThat(r.header("www-authenticate") != null).isEqualTo(kind == AdminFailure.Kind.UNAUTHENTICATED);
        }
    }

    @Test
    void aVersionConflictCarriesTheVersionInForce() {
        next.set(new CompletionException(AdminFailure.versionConflict("the policy is at version 4, not 3", 4)));
        AdminServer.Reply r = server.admin("POST", "/echo", "{}");
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.json())
                .isEqualTo(new JsonObject()
                        .put("error", "the policy is at version 4, not 3")
                        .put("policy_version", 4));
        assertThat(r.header("etag")).isEqualTo("\"4\"");
    }

    @Test
    void theBackendsOwnFailuresGoThroughItsTranslatorAndUnknownOnesSayNothing() {
        next.set(new Busy());
        AdminServer.Reply busy = server.admin("POST", "/echo", "{}");
        assertThat(busy.status()).isEqualTo(429);
        assertThat(busy.error()).isEqualTo("busy, retry");
        assertThat(busy.header("retry-after")).isEqualTo("2");

        next.set(new IllegalStateException("/secret/path/model.onnx: token abc"));
        AdminServer.Reply unknown = server.admin("POST", "/echo", "{}");
        assertThat(unknown.status()).isEqualTo(500);
        assertThat(unknown.json()).isEqualTo(new JsonObject().put("error", "internal error; see the server log"));

        // Thrown rather than returned: the same answers.
        next.set(new Busy());
        assertThat(server.admin("GET", "/throws", null).status()).isEqualTo(429);
        next.set(new IllegalArgumentException("/secret"));
        AdminServer.Reply thrown = server.admin("GET", "/throws", null);
        assertThat(thrown.status()).isEqualTo(500);
        assertThat(thrown.body()).doesNotContain("secret");
    }

    @Test
    void aTranslatorThatFailsIsAnInternalError() {
        GuardedRoutes broken = new GuardedRoutes(AdminToken.of(AdminServer.TOKEN), t -> {
            throw new IllegalStateException("translator bug");
        });
        AdminFailure f = broken.classify(new Busy());
        assertThat(f.kind()).isEqualTo(AdminFailure.Kind.INTERNAL);
        assertThat(f.getMessage()).isEqualTo(GuardedRoutes.INTERNAL_MESSAGE);
    }

    @Test
    void ifMatchNamesAPolicyVersionOrNothing() {
        assertThat(AdminHttp.ifMatch(null)).isEmpty();
        assertThat(AdminHttp.ifMatch(" ")).isEmpty();
        assertThat(AdminHttp.ifMatch("*")).isEmpty();
        assertThat(AdminHttp.ifMatch("3")).isEqualTo(OptionalLong.of(3));
        assertThat(AdminHttp.ifMatch("\"3\"")).isEqualTo(OptionalLong.of(3));
        assertThat(AdminHttp.ifMatch("W/\"12\"")).isEqualTo(OptionalLong.of(12));
        assertThat(AdminHttp.ifMatch("0")).isEqualTo(OptionalLong.of(0));
        for (String bad : List.of("latest", "-1", "\"\"", "1".repeat(19), "3, 4")) {
            assertThatThrownBy(() -> AdminHttp.ifMatch(bad))
                    .as(bad)
                    .isInstanceOfSatisfying(
                            AdminFailure.class, f -> assertThat(f.kind()).isEqualTo(AdminFailure.Kind.BAD_REQUEST))
                    .hasMessageContaining("If-Match");
        }
    }
}
