package dev.modelmux.node.predlog;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code modelmux join-labels --data-dir DIR [--data-dir DIR2 ...] --out FILE [--since WHEN]
 * [--include-open]}: writes the dataset of {@link LabelJoin} over every node's data directory. {@code WHEN} is epoch millis, an ISO-8601 instant
 * ({@code 2025-01-31T00:00:00Z}) or a duration back from now ({@code 24h}, {@code 7d}).
 */
public final class JoinLabelsCommand {
    static final String USAGE =
            "usage: modelmux join-labels --out FILE [--data-dir DIR (default .modelmux; repeat it for every node)] [--since WHEN] [--include-open]\n"
                    + "  joins labels (POST /api/v1/labels) to logged predictions by request_id: one line per labelled prediction\n"
                    + "  --data-dir DIR, repeated: every node's data directory; a label posted to one node joins the prediction\n"
                    + "    another logged\n"
                    + "  WHEN: epoch millis, an ISO-8601 instant (2025-01-31T00:00:00Z) or a duration back from now (24h, 7d)\n"
                    + "  --include-open: also read the segments a running node is still writing (up to their last complete line)";

    private JoinLabelsCommand() {}

    /** @return the exit status: 0 done, 2 bad arguments, 1 failed */
    public static int run(List<String> args, PrintStream out, PrintStream err, LongSupplier clockMillis) {
        List<Path> dataDirs = new ArrayList<>();
        Path file = null;
        OptionalLong since = OptionalLong.empty();
        boolean includeOpen = false;
        try {
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--data-dir" -> dataDirs.add(Path.of(value(args, ++i, a)));
                    case "--out" -> file = Path.of(value(args, ++i, a));
                    case "--since" -> since = OptionalLong.of(since(value(args, ++i, a), clockMillis.getAsLong()));
                    case "--include-open" -> includeOpen = true;
                    case "--help", "-h" -> {
                        out.println(USAGE);
                        return 0;
                    }
                    default -> throw new IllegalArgumentException("unknown argument '" + a + "'");
                }
            }
            if (file == null) {
                throw new IllegalArgumentException("--out FILE is required");
            }
            if (dataDirs.isEmpty()) {
                dataDirs.add(Path.of(".modelmux"));
            }
        } catch (IllegalArgumentException e) {
            err.println("modelmux join-labels: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        try {
            LabelJoin.Stats s = LabelJoin.join(dataDirs, file, since, includeOpen);
            out.printf(
                    "join-labels: %d rows written to %s (%d predictions read, %d labels for %d request ids, "
                            + "%d labelled ids with no logged prediction, %d unreadable lines skipped: invalid UTF-8"
                            + " or JSON)%n",
                    s.rows(),
                    file,
                    s.predictions(),
                    s.labels(),
                    s.labelledIds(),
                    s.unmatchedLabelIds(),
                    s.malformedLines());
            return 0;
        } catch (IOException e) {
            err.println("modelmux join-labels: " + e);
            return 1;
        }
    }

    private static String value(List<String> args, int i, String flag) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(flag + ": needs a value");
        }
        return args.get(i);
    }

    static long since(String s, long nowMillis) {
        String v = s.strip();
        if (v.matches("[0-9]+")) {
            return Long.parseLong(v);
        }
        if (v.contains("T")) {
            try {
                return Instant.parse(v).toEpochMilli();
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(
                        "--since: '" + s + "' is not an ISO-8601 instant like 2025-01-31T00:00:00Z");
            }
        }
        Matcher m = Pattern.compile("([0-9]+)(ms|s|m|h|d)").matcher(v);
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "--since: '" + s + "' is not epoch millis, an ISO-8601 instant or a duration like 24h");
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
        return nowMillis - d.toMillis();
    }
}
