package dev.modelmux.repo.internal;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An {@code s3://bucket/prefix/} repository root: the bucket and the key prefix every model lives
 * under ({@code prefix/<model>/config.pbtxt}), normalised to end with {@code /} (or empty for the
 * bucket's top). An operator's setting, parsed once at open; no request field ever reaches a key
 * except a model name that passed {@link dev.modelmux.repo.ModelNames}.
 */
public record S3Root(String bucket, String prefix) {
    /** S3's bucket rules, loosened for S3-compatible stores (upper case, underscores): 3-63 characters. */
    private static final Pattern BUCKET = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]");
    /** Prefix segments: printable, no separators, no "." or ".." segments. */
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_.=+@,:!$'()*~-]{1,255}");

    public static boolean isS3(String root) {
        return root != null && root.strip().toLowerCase(Locale.ROOT).startsWith("s3:");
    }

    /** @throws IllegalArgumentException naming what is wrong with the root */
    public static S3Root parse(String root) {
        String s = root.strip();
        if (!s.toLowerCase(Locale.ROOT).startsWith("s3://")) {
            throw new IllegalArgumentException("an S3 repository is written s3://bucket/prefix/");
        }
        String rest = s.substring("s3://".length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "" : rest.substring(slash + 1);
        if (!BUCKET.matcher(bucket).matches()) {
            throw new IllegalArgumentException("s3 repository: '" + dev.modelmux.repo.ModelNames.printable(bucket)
                    + "' is not a bucket name (3-63 letters, digits, '.', '-', '_'); write s3://bucket/prefix/");
        }
        StringBuilder prefix = new StringBuilder();
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty()) {
                continue; // "a//b" and a trailing slash
            }
            if (segment.equals(".")
                    || segment.equals("..")
                    || !SEGMENT.matcher(segment).matches()) {
                throw new IllegalArgumentException("s3 repository: the prefix of s3://" + bucket
                        + "/ must be plain path segments (letters, digits and _ . - and the like; no '.' or '..')");
            }
            prefix.append(segment).append('/');
        }
        return new S3Root(bucket, prefix.toString());
    }

    /** The root as shown to users and logs. */
    public String describe() {
        return "s3://" + bucket + "/" + prefix;
    }
}
