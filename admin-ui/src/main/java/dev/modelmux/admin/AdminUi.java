package dev.modelmux.admin;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The operators' web page: static HTML, CSS and JavaScript packaged in this jar under
 * {@value #ASSETS}, served at {@value #PATH}. The page holds no data: everything it shows comes
 * from the token-protected JSON endpoints under {@code /api/v1/}, which it calls with the admin
 * token the operator typed in (kept in the tab's session storage, sent as a bearer header, never
 * put in a URL). Nothing is fetched from another origin, and the content security policy forbids
 * it.
 */
public final class AdminUi {
    /** Where the page is served. */
    public static final String PATH = "/admin";
    /** Classpath folder of the assets. */
    public static final String ASSETS = "modelmux-admin";
    /** Same origin only; no inline script; no framing. */
    public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
            + "frame-ancestors 'none'";

    private AdminUi() {}

    /** Mounts the page on {@code router}: {@code /admin} redirects to {@code /admin/}, assets below it. */
    public static void mount(Router router) {
        router.get(PATH).handler(ctx -> {
            if (ctx.request().path().equals(PATH)) { // the router also matches "/admin/" here
                ctx.response()
                        .setStatusCode(302)
                        .putHeader("location", PATH + "/")
                        .end();
            } else {
                ctx.next();
            }
        });
        StaticHandler assets = StaticHandler.create(ASSETS)
                .setIndexPage("index.html")
                .setCachingEnabled(false)
                .setDirectoryListing(false)
                .setIncludeHidden(false)
                .setDefaultContentEncoding("UTF-8");
        router.route(PATH + "/*")
                .handler(ctx -> {
                    ctx.response()
                            .putHeader("content-security-policy", CONTENT_SECURITY_POLICY)
                            .putHeader("x-content-type-options", "nosniff")
                            .putHeader("referrer-policy", "no-referrer")
                            .putHeader("x-frame-options", "DENY")
                            .putHeader("cache-control", "no-cache");
                    ctx.next();
                })
                .handler(assets);
    }
}
