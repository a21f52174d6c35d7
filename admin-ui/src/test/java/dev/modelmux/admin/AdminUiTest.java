package dev.modelmux.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The page is served from the jar with a strict policy, and references nothing outside it. */
class AdminUiTest {
    private static final List<String> ASSETS =
            List.of("index.html", "app.css", "app.js", "dom.js", "models.js", "capacity.js");

    @Test
    void assetsAreServedFromTheClasspathWithSecurityHeaders() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            Router router = Router.router(vertx);
            AdminUi.mount(router);
            HttpServer server = vertx.createHttpServer()
                    .requestHandler(router)
                    .listen(0, "127.0.0.1")
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            HttpClient http = HttpClient.newBuilder()
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
            String base = "http://127.0.0.1:" + server.actualPort();

            HttpResponse<String> redirect = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/admin")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(redirect.statusCode()).isEqualTo(302);
            assertThat(redirect.headers().firstValue("location")).hasValue("/admin/");

            HttpResponse<String> index = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/admin/")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(index.statusCode()).isEqualTo(200);
            assertThat(index.body()).contains("<label for=\"token\">Admin token</label>");
            assertThat(index.headers().firstValue("content-security-policy")).hasValue(AdminUi.CONTENT_SECURITY_POLICY);
            assertThat(index.headers().firstValue("x-content-type-options")).hasValue("nosniff");

            HttpResponse<String> js = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/admin/app.js")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(js.statusCode()).isEqualTo(200);
            assertThat(js.headers().firstValue("content-type").orElse("")).contains("javascript");
            assertThat(http.send(
                                    HttpRequest.newBuilder(URI.create(base + "/admin/../../etc/passwd"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode())
                    .isEqualTo(404);
            assertThat(http.send(
                                    HttpRequest.newBuilder(URI.create(base + "/admin/nothing.js"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode())
                    .isEqualTo(404);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void noAssetLoadsAnythingFromAnotherOriginOrPutsTheTokenInAUrl() throws Exception {
        Pattern external = Pattern.compile(
                "(?i)(src|href)\\s*=\\s*[\"']?(https?:)?//|@import|url\\(\\s*['\"]?https?:|fetch\\(\\s*['\"`]https?:");
        for (String name : ASSETS) {
            String text;
            try (InputStream in = AdminUi.class.getClassLoader().getResourceAsStream(AdminUi.ASSETS + "/" + name)) {
                assertThat(in).as(name).isNotNull();
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            assertThat(external.matcher(text).find())
                    .as(name + " references another origin")
                    .isFalse();
            assertThat(text)
                    .as(name)
                    .doesNotContain("innerHTML")
                    .doesNotContain("?token=")
                    .doesNotContain("&token=");
        }
    }
}
