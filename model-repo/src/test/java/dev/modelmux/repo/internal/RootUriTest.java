package dev.modelmux.repo.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RootUriTest {

    @Test
    void localPathsBecomeFileUris() {
        RootUri r = RootUri.parse("/srv/models/../repo");
        assertThat(r.uri()).isEqualTo("file:///srv/repo"); // no trailing slash: it does not exist here
        assertThat(r.scheme()).isEqualTo("file");
        assertThat(RootUri.parse("relative/repo").uri())
                .isEqualTo(Path.of("relative/repo").toAbsolutePath().toUri().toString());
        assertThat(RootUri.parse("/srv/with space").uri()).isEqualTo("file:///srv/with%20space");
    }

    @Test
    void uriSchemesAreKeptAndChecked() {
        assertThat(RootUri.parse("zip:file:///srv/r.zip!/").scheme()).isEqualTo("zip");
        assertThat(RootUri.parse("JAR:file:///srv/r.jar!/m").scheme()).isEqualTo("jar");
        assertThat(RootUri.parse("ram:///repo").scheme()).isEqualTo("ram");
        assertThat(RootUri.parse("https://host/repo").scheme()).isEqualTo("https");
        assertThatThrownBy(() -> RootUri.parse("sftp://host/repo")).hasMessageContaining("'sftp' is not supported");
        assertThatThrownBy(() -> RootUri.parse("res:models")).hasMessageContaining("'res' is not supported");
        assertThatThrownBy(() -> RootUri.parse("")).hasMessage("the repository root is empty");
        assertThatThrownBy(() -> RootUri.parse(null)).hasMessage("the repository root is empty");
    }

    @Test
    void credentialsAreTakenOutOfTheUriAndNeverDescribed() {
        RootUri r = RootUri.parse("zip:https://alice:p%40ss@host:8443/repo.zip?X-Amz-Signature=s3cr3t!/models");
        assertThat(r.user()).hasValue("alice");
        assertThat(r.password()).hasValue("p@ss");
        assertThat(r.uri()).isEqualTo("zip:https://host:8443/repo.zip?X-Amz-Signature=s3cr3t!/models");
        assertThat(r.describe()).isEqualTo("zip:https://host:8443/repo.zip!/models");
        assertThat(r.overHttp()).isTrue();

        RootUri token = RootUri.parse("https://tok@host/repo#frag");
        assertThat(token.user()).hasValue("tok");
        assertThat(token.password()).isEmpty();
        assertThat(token.describe()).isEqualTo("https://host/repo");
    }

    @Test
    void localAndRamRootsAreNotOverHttp() {
        assertThat(RootUri.parse("/srv/http:x").overHttp()).isFalse();
        assertThat(RootUri.parse("ram:///repo").overHttp()).isFalse();
        assertThat(RootUri.parse("zip:file:///srv/r.zip!/").overHttp()).isFalse();
        assertThat(RootUri.parse("zip:http://h/r.zip!/").overHttp()).isTrue();
    }
}
