package dev.modelmux.repo.internal;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The repository root as an operator writes it: a local path, or a {@code file:}, {@code zip:},
 * {@code jar:}, {@code http(s):} or {@code ram:} URI. Normalises it to a VFS URI once, at open, and
 * renders it for users and logs without credentials.
 */
public final class RootUri {
    public static final Set<String> SCHEMES = Set.of("file", "zip", "jar", "http", "https", "ram");
    private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.\\-]*):");
    private static final Pattern USER_INFO = Pattern.compile("(//)[^/@?#!]*@");
    private static final Pattern QUERY = Pattern.compile("[?#][^!]*");

    private final String uri;
    private final String scheme;
    private final String user;
    private final String password;

    private RootUri(String uri, String scheme) {
        // HttpClient 5 refuses URIs with user-info: take the credentials out, to be sent as auth.
        var m = USER_INFO.matcher(uri);
        if (m.find()) {
            String info = uri.substring(m.start() + 2, m.end() - 1);
            int colon = info.indexOf(':');
            this.user = decode(colon < 0 ? info : info.substring(0, colon));
            this.password = colon < 0 ? null : decode(info.substring(colon + 1));
            this.uri = uri.substring(0, m.start() + 2) + uri.substring(m.end());
        } else {
            this.user = null;
            this.password = null;
            this.uri = uri;
        }
        this.scheme = scheme;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /**
     * @throws IllegalArgumentException naming what is wrong: empty, an unusable local path, or a
     *     scheme that is not served
     */
    public static RootUri parse(String root) {
        if (root == null || root.isBlank()) {
            throw new IllegalArgumentException("the repository root is empty");
        }
        String trimmed = root.strip();
        var m = SCHEME.matcher(trimmed);
        // A one-letter "scheme" is a Windows drive (C:\models), not a URI.
        if (!m.find() || m.group(1).length() == 1) {
            try {
                return new RootUri(
                        Path.of(trimmed).toAbsolutePath().normalize().toUri().toString(), "file");
            } catch (InvalidPathException e) {
                throw new IllegalArgumentException("the repository root is not a usable local path");
            }
        }
        String scheme = m.group(1).toLowerCase(Locale.ROOT);
        if (!SCHEMES.contains(scheme)) {
            throw new IllegalArgumentException("repository scheme '" + scheme
                    + "' is not supported: use a local path or a" + " file:, zip:, jar:, http:, https: or ram: URI");
        }
        return new RootUri(trimmed, scheme);
    }

    /** The user name given in the URI's user-info, if any (the URI handed to VFS has none). */
    public Optional<String> user() {
        return Optional.ofNullable(user);
    }

    /** The password given in the URI's user-info, if any. */
    public Optional<String> password() {
        return Optional.ofNullable(password);
    }

    /** Whether the root, or the archive it opens, is fetched over http(s). */
    public boolean overHttp() {
        String lower = uri.toLowerCase(Locale.ROOT);
        return lower.startsWith("http") || lower.contains(":http:") || lower.contains(":https:");
    }

    /** The URI handed to VFS, without user-info. */
    public String uri() {
        return uri;
    }

    /** The outermost scheme ({@code zip} for {@code zip:https://...}). */
    public String scheme() {
        return scheme;
    }

    /** The URI without user-info (user:password@), query strings or fragments, which can carry secrets. */
    public String describe() {
        return describe(uri);
    }

    static String describe(String uri) {
        return QUERY.matcher(USER_INFO.matcher(uri).replaceAll("$1")).replaceAll("");
    }
}
