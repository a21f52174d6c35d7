package dev.modelmux.repo.internal;

import javax.net.ssl.SSLContext;
import org.apache.commons.vfs2.FileSystemOptions;
import org.apache.commons.vfs2.UserAuthenticationData;
import org.apache.commons.vfs2.provider.GenericFileName;
import org.apache.commons.vfs2.provider.http5.Http5FileProvider;
import org.apache.commons.vfs2.provider.http5.Http5FileSystemConfigBuilder;
import org.apache.commons.vfs2.provider.http5s.Http5sFileProvider;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.ssl.SSLContexts;

/**
 * VFS's HttpClient 5 providers with two fixes for a model repository: certificates are checked
 * against the JVM's trust store (VFS 2.10 trusts every certificate by default), and credentials
 * survive VFS's clean-up of its authentication data (it zeroes the password array that the
 * HttpClient credentials still share, so Basic auth would send NULs).
 */
final class SecureHttpProviders {
    private SecureHttpProviders() {}

    static final class Http extends Http5FileProvider {
        @Override
        protected SSLContext createSSLContext(Http5FileSystemConfigBuilder builder, FileSystemOptions options) {
            return SSLContexts.createSystemDefault();
        }

        @Override
        protected HttpClientContext createHttpClientContext(
                Http5FileSystemConfigBuilder builder,
                GenericFileName rootName,
                FileSystemOptions options,
                UserAuthenticationData authData) {
            return super.createHttpClientContext(builder, rootName, options, copy(authData));
        }
    }

    static final class Https extends Http5sFileProvider {
        @Override
        protected SSLContext createSSLContext(Http5FileSystemConfigBuilder builder, FileSystemOptions options) {
            return SSLContexts.createSystemDefault();
        }

        @Override
        protected HttpClientContext createHttpClientContext(
                Http5FileSystemConfigBuilder builder,
                GenericFileName rootName,
                FileSystemOptions options,
                UserAuthenticationData authData) {
            return super.createHttpClientContext(builder, rootName, options, copy(authData));
        }
    }

    private static UserAuthenticationData copy(UserAuthenticationData data) {
        if (data == null) {
            return null;
        }
        UserAuthenticationData copy = new UserAuthenticationData();
        for (UserAuthenticationData.Type type : new UserAuthenticationData.Type[] {
            UserAuthenticationData.USERNAME, UserAuthenticationData.PASSWORD, UserAuthenticationData.DOMAIN
        }) {
            char[] value = data.getData(type);
            if (value != null) {
                copy.setData(type, value.clone());
            }
        }
        return copy;
    }
}
