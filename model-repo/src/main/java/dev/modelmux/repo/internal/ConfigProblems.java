package dev.modelmux.repo.internal;

import com.google.protobuf.TextFormatParseInfoTree;
import dev.modelmux.repo.ModelConfigException;
import dev.modelmux.repo.ModelNames;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/** The problems found in one config, each tied to where it lies, turned into one message. */
final class ConfigProblems {
    private record Problem(ConfigPath path, String message) {}

    private final List<Problem> problems = new ArrayList<>();

    void add(ConfigPath path, String message) {
        problems.add(new Problem(path, message));
    }

    boolean isEmpty() {
        return problems.isEmpty();
    }

    /**
     * {@code model 'm': config.pbtxt line 7: <problem>; line 9: <problem>}; problems without a line
     * (defaults, or a config built in code) are listed without one.
     */
    ModelConfigException toException(String model, String fileName, TextFormatParseInfoTree tree) {
        StringBuilder b = new StringBuilder("model '")
                .append(ModelNames.printable(model))
                .append("': ")
                .append(fileName);
        boolean first = true;
        for (Problem p : problems) {
            OptionalInt line = p.path().line(tree);
            b.append(first ? " " : "; ");
            if (line.isPresent()) {
                b.append("line ").append(line.getAsInt()).append(": ");
            } else if (first) {
                b.setLength(b.length() - 1);
                b.append(": ");
            }
            b.append(p.message());
            first = false;
        }
        return new ModelConfigException(b.toString());
    }
}
