package dev.modelmux.repo.internal;

import java.util.regex.Pattern;

/**
 * Rules for file names that come from a config (default_model_filename, cc_model_filenames): a
 * plain name inside the version folder. No separators, no {@code ..}, no {@code %} escapes that a
 * VFS provider might decode, no scheme characters; at most 255 characters.
 */
public final class FileNames {
    public static final String DEFAULT_MODEL_FILENAME = "model.onnx";
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.\\-]{0,254}");

    private FileNames() {}

    public static boolean isPlain(String name) {
        return name != null && PLAIN.matcher(name).matches() && !name.equals("..");
    }
}
