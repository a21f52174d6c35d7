package dev.modelmux.repo.internal;

import com.google.protobuf.TextFormat;
import com.google.protobuf.TextFormatParseInfoTree;
import dev.modelmux.repo.ModelConfigException;
import dev.modelmux.repo.ModelNames;
import dev.modelmux.repo.config.ModelConfig;

/**
 * Parses config.pbtxt text with protobuf TextFormat, the grammar Triton uses: unknown fields,
 * a singular field given twice and two members of a oneof are errors, as in Triton.
 */
public final class ConfigParser {
    /** A parsed config and where each of its fields was written. */
    public record Parsed(ModelConfig config, TextFormatParseInfoTree tree) {}

    private ConfigParser() {}

    public static Parsed parse(String model, String fileName, String text) throws ModelConfigException {
        TextFormatParseInfoTree.Builder tree = TextFormatParseInfoTree.builder();
        TextFormat.Parser parser = TextFormat.Parser.newBuilder()
                .setSingularOverwritePolicy(TextFormat.Parser.SingularOverwritePolicy.FORBID_SINGULAR_OVERWRITES)
                .setParseInfoTreeBuilder(tree)
                .build();
        ModelConfig.Builder config = ModelConfig.newBuilder();
        try {
            parser.merge(text, config);
        } catch (TextFormat.ParseException e) {
            String where = e.getLine() > 0 ? fileName + " line " + e.getLine() : fileName;
            throw new ModelConfigException("model '" + ModelNames.printable(model) + "': " + where + ": " + what(e));
        }
        return new Parsed(config.build(), tree.build());
    }

    /** The parser's message without its "line:column: " prefix. */
    private static String what(TextFormat.ParseException e) {
        String m = e.getMessage() == null ? "syntax error" : e.getMessage();
        return m.replaceFirst("^-?\\d+:-?\\d+: ", "");
    }
}
