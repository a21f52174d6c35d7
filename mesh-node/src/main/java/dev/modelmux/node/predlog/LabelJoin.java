package dev.modelmux.node.predlog;

import dev.modelmux.node.predlog.internal.FilePredictionLog;
import dev.modelmux.node.predlog.internal.LabelLog;
import dev.modelmux.node.predlog.internal.SegmentedLog;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Joins labels to logged predictions into a dataset: one JSON line per logged prediction whose
 * {@code request_id} has a label (an inner join), with the prediction's fields plus {@code label}
 * and {@code label_at_ms}. When a request id has several labels, the one with the latest {@code
 * at_ms} wins (on a tie, the one logged last). Every record that carries the id joins, so a
 * decision and its shadow both appear, told apart by {@code kind}.
 *
 * <p><b>Memory.</b> Labels are held in a map (one entry per labelled request id, roughly 150 bytes
 * plus the label); predictions stream through one line at a time, so the prediction log's size
 * does not matter. Lines that do not parse (a torn last line of an open segment) are skipped and
 * counted.
 */
public final class LabelJoin {
    private LabelJoin() {}

    /** What a join read and wrote. */
    public record Stats(
            long predictions, long labels, long labelledIds, long rows, long unmatchedLabelIds, long malformedLines) {}

    private record Label(Object value, long atMillis) {}

    /**
     * @param dataDir      the node's data directory ({@code predictions/} and {@code labels/} under it)
     * @param out          the dataset file, replaced atomically once complete
     * @param sinceMillis  only predictions at or after this epoch millis
     * @param includeOpen  also read the segments still open (a running node's latest records)
     */
    public static Stats join(Path dataDir, Path out, OptionalLong sinceMillis, boolean includeOpen) throws IOException {
        long[] counts = new long[3]; // labels, malformed, predictions
        Map<String, Label> labels = new HashMap<>();
        for (Path seg : segments(dataDir.resolve("labels"), LabelLog.PREFIX, includeOpen)) {
            forEachLine(seg, counts, o -> {
                Object id = o.getValue("request_id");
                if (!(id instanceof String rid) || !o.containsKey("label")) {
                    counts[1]++;
                    return;
                }
                counts[0]++;
                long at = o.getValue("at_ms") instanceof Number n ? n.longValue() : 0;
                Label prev = labels.get(rid);
                if (prev == null || at >= prev.atMillis()) {
                    labels.put(rid, new Label(o.getValue("label"), at));
                }
            });
        }
        Set<String> matched = new HashSet<>();
        long rows = 0;
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        if (out.toAbsolutePath().getParent() != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
        }
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            long[] written = {0};
            for (Path seg : segments(dataDir.resolve("predictions"), FilePredictionLog.PREFIX, includeOpen)) {
                IOException[] failed = {null};
                forEachLine(seg, counts, o -> {
                    counts[2]++;
                    Object id = o.getValue("request_id");
                    Label label = id instanceof String rid ? labels.get(rid) : null;
                    if (label == null) {
                        return;
                    }
                    if (sinceMillis.isPresent()
                            && !(o.getValue("at_millis") instanceof Number at
                                    && at.longValue() >= sinceMillis.getAsLong())) {
                        return;
                    }
                    matched.add((String) id);
                    o.put("label", label.value()).put("label_at_ms", label.atMillis());
                    try {
                        w.write(o.encode());
                        w.write('\n');
                        written[0]++;
                    } catch (IOException e) {
                        failed[0] = e;
                    }
                });
                if (failed[0] != null) {
                    throw failed[0];
                }
            }
            rows = written[0];
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        long unmatched =
                labels.keySet().stream().filter(id -> !matched.contains(id)).count();
        return new Stats(counts[2], counts[0], labels.size(), rows, unmatched, counts[1]);
    }

    private static List<Path> segments(Path dir, String prefix, boolean includeOpen) throws IOException {
        return includeOpen ? SegmentedLog.allSegments(dir, prefix) : SegmentedLog.closedSegments(dir, prefix);
    }

    private interface LineHandler {
        void accept(JsonObject line);
    }

    private static void forEachLine(Path file, long[] counts, LineHandler handler) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank()) {
                    continue;
                }
                JsonObject o;
                try {
                    o = new JsonObject(line);
                } catch (DecodeException | ClassCastException e) {
                    counts[1]++;
                    continue;
                }
                handler.accept(o);
            }
        } catch (NoSuchFileException e) {
            // deleted by the retention (or closed and renamed) while we listed: nothing to read
        }
    }
}
