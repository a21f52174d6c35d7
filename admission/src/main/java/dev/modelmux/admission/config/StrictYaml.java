package dev.modelmux.admission.config;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads operator-supplied policy files (tenants, endpoints) as YAML, of which JSON is a subset:
 * safe constructor only (plain maps, lists and scalars), duplicate keys refused, size, nesting and
 * alias counts capped, and errors that give the line and column but never quote the input (it
 * could hold a secret pasted by mistake).
 */
public final class StrictYaml {
    private StrictYaml() {}

    /** A document that is too large or not valid YAML; the message names {@code what} and where. */
    public static final class InvalidYamlException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InvalidYamlException(String message) {
            super(message, null, false, false);
        }
    }

    /** Parses {@code text} ({@code what} names it in errors) into maps, lists and scalars. */
    public static Object load(String text, String what, int maxBytes, int maxDepth) {
        if (text.length() > maxBytes || text.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            throw new InvalidYamlException(what + " is larger than " + maxBytes + " bytes");
        }
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(20);
            options.setNestingDepthLimit(maxDepth);
            options.setCodePointLimit(maxBytes);
            options.setAllowRecursiveKeys(false);
            return new Yaml(new SafeConstructor(options)).load(text);
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark();
            String where =
                    mark == null ? "" : " at line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
            // The problem text, not the snippet: the snippet could quote a secret pasted by mistake.
            throw new InvalidYamlException(what + " is not valid YAML" + where + ": " + e.getProblem());
        } catch (YAMLException e) {
            throw new InvalidYamlException(what + " is not valid YAML: " + e.getMessage());
        }
    }

    /** A value as an error message shows it: a string quoted, cut at 40 characters and printable. */
    public static String describe(Object v) {
        if (v instanceof String s) {
            String cut = s.length() > 40 ? s.substring(0, 40) + "..." : s;
            return "'" + cut.replaceAll("[^\\x20-\\x7e]", "?") + "'";
        }
        return v instanceof Number ? v.toString() : type(v);
    }

    /** What kind of value {@code v} is, for messages such as "must be a list, was a map". */
    public static String type(Object v) {
        if (v == null) {
            return "missing";
        }
        if (v instanceof Map) {
            return "a map";
        }
        if (v instanceof List) {
            return "a list";
        }
        if (v instanceof String) {
            return "a string";
        }
        if (v instanceof Boolean) {
            return "a boolean";
        }
        return "a number";
    }
}
