package dev.modelmux.cluster;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One version of a document shared cluster-wide (a tenant policy, a traffic policy): text plus who
 * wrote it, when, and why.
 *
 * @param name            1-128 characters of {@code [A-Za-z0-9._-]}
 * @param version         1 for the first write, one more for every later one
 * @param text            the content, at most {@link SharedDocuments#MAX_TEXT_BYTES} in UTF-8
 * @param updatedBy       the node id of the writer
 * @param updatedAtMillis the writer's wall clock at the write (epoch millis)
 * @param note            a free-form word on the write (where the text came from, which call), may be empty
 */
public record SharedDocument(
        String name, long version, String text, String updatedBy, long updatedAtMillis, String note) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    public SharedDocument {
        checkName(name);
        if (version < 1) {
            throw new IllegalArgumentException("document version must be >= 1, was " + version);
        }
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(updatedBy, "updatedBy");
        note = note == null ? "" : note;
    }

    /** Throws {@link IllegalArgumentException} unless {@code name} is a valid document name. */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("document name must be 1-128 characters of [A-Za-z0-9._-]");
        }
        return name;
    }
}
