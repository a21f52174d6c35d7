package dev.modelmux.repo.internal;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.TextFormatParseInfoTree;
import com.google.protobuf.TextFormatParseLocation;
import dev.modelmux.repo.config.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * Where in a ModelConfig a problem lies ({@code input[2].dims[1]}), so that a validation message
 * can name the config.pbtxt line the user wrote, found through the parser's location tree.
 */
public final class ConfigPath {
    /** One step: a field of the current message and, for repeated fields, the element's index. */
    private record Step(String field, int index) {}

    private static final ConfigPath ROOT = new ConfigPath(List.of());

    private final List<Step> steps;

    private ConfigPath(List<Step> steps) {
        this.steps = steps;
    }

    public static ConfigPath root() {
        return ROOT;
    }

    public static ConfigPath at(String field) {
        return ROOT.then(field, 0);
    }

    public static ConfigPath at(String field, int index) {
        return ROOT.then(field, index);
    }

    public ConfigPath then(String field) {
        return then(field, 0);
    }

    public ConfigPath then(String field, int index) {
        List<Step> next = new ArrayList<>(steps);
        next.add(new Step(field, index));
        return new ConfigPath(List.copyOf(next));
    }

    /**
     * The 1-based line of the deepest step the tree knows, or empty when the path names nothing the
     * text set (a default value, or a config built in code).
     */
    public OptionalInt line(TextFormatParseInfoTree tree) {
        if (tree == null) {
            return OptionalInt.empty();
        }
        Descriptor type = ModelConfig.getDescriptor();
        OptionalInt best = OptionalInt.empty();
        for (Step step : steps) {
            FieldDescriptor field = type.findFieldByName(step.field());
            if (field == null) {
                break;
            }
            List<TextFormatParseLocation> locations = tree.getLocations(field);
            if (locations.isEmpty()) {
                break;
            }
            best = OptionalInt.of(
                    locations.get(Math.min(step.index(), locations.size() - 1)).getLine() + 1);
            if (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
                break;
            }
            List<TextFormatParseInfoTree> nested = tree.getNestedTrees(field);
            if (step.index() >= nested.size()) {
                break;
            }
            tree = nested.get(step.index());
            type = field.getMessageType();
        }
        return best;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Step s : steps) {
            b.append(b.length() == 0 ? "" : ".")
                    .append(s.field())
                    .append('[')
                    .append(s.index())
                    .append(']');
        }
        return b.toString();
    }
}
