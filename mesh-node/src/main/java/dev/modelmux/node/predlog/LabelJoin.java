package dev.modelmux.node.predlog;

import dev.modelmux.node.predlog.internal.FilePredictionLog;
import dev.modelmux.node.predlog.internal.LabelLog;
import dev.modelmux.node.predlog.internal.SegmentedLog;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
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
 * does not matter. Lines that are not valid UTF-8 or not a JSON object (a torn last line of an
 * open segment, a damaged disk block) are skipped and counted; a join never aborts on them.
 *
 * <p><b>Several nodes.</b> Labels land on whichever node the client (or a Service) picked, while a
 * prediction is logged by the node that served it: join over every node's data directory. Labels
 * for the same request id from several nodes are merged (the latest {@code at_ms} wins); a
 * prediction logged on several nodes (a retried request) gives a row for each.
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
        return join(List.of(dataDir), out, sinceMillis, includeOpen);
    }

    /**
     * As {@link #join(Path, Path, OptionalLong, boolean)} over several nodes' data directories: every
     * node's labels join every node's predictions (a label posted to one node finds the prediction
     * another node logged).
     */
    public static Stats join(List<Path> dataDirs, Path out, OptionalLong sinceMillis, boolean includeOpen)
            throws IOException {
        long[] counts = new long[3]; // labels, malformed, predictions
        Map<String, Label> labels = new HashMap<>();
        for (Path seg : segments(dataDirs, "labels", LabelLog.PREFIX, includeOpen)) {
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
            for (Path seg : segments(dataDirs, "predictions", FilePredictionLog.PREFIX, includeOpen)) {
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

    private static List<Path> segments(List<Path> dataDirs, String sub, String prefix, boolean includeOpen)
            throws IOException {
        List<Path> all = new ArrayList<>();
        for (Path d : dataDirs) {
            Path dir = d.resolve(sub);
            all.addAll(includeOpen ? SegmentedLog.allSegments(dir, prefix) : SegmentedLog.closedSegments(dir, prefix));
        }
        return all;
    }

    private interface LineHandler {
        void accept(JsonObject line);
    }

    /**
     * Hands every line that is valid UTF-8 and a JSON object to {@code handler}; counts (in {@code
     * counts[1]}) and skips the others: invalid UTF-8, bad JSON, a torn last line.
     */
    private static void forEachLine(Path file, long[] counts, LineHandler handler) throws IOException {
        CharsetDecoder utf8 = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try (InputStream in = Files.newInputStream(file)) {
            LineBuffer line = new LineBuffer();
            byte[] chunk = new byte[64 * 1024];
            for (int n; (n = in.read(chunk)) > 0; ) {
                int from = 0;
                for (int i = 0; i < n; i++) {
                    if (chunk[i] == '\n') {
                        line.add(chunk, from, i - from);
                        emit(line, utf8, counts, handler);
                        from = i + 1;
                    }
                }
                line.add(chunk, from, n - from);
            }
            emit(line, utf8, counts, handler); // a last line without its newline (torn, or not)
        } catch (NoSuchFileException e) {
            // deleted by the retention (or closed and renamed) while we listed: nothing to read
        }
    }

    private static void emit(LineBuffer line, CharsetDecoder utf8, long[] counts, LineHandler handler) {
        if (line.size() == 0) {
            return;
        }
        String text;
        try {
            text = utf8.reset().decode(line.bytes()).toString();
        } catch (CharacterCodingException e) {
            text = null;
        }
        line.clear();
        if (text == null) {
            counts[1]++;
            return;
        }
        if (text.isBlank()) {
            return;
        }
        JsonObject o;
        try {
            o = new JsonObject(text);
        } catch (DecodeException | ClassCastException e) {
            counts[1]++;
            return;
        }
        handler.accept(o);
    }

    /** The bytes of one line. */
    private static final class LineBuffer {
        private byte[] buf = new byte[4096];
        private int size;

        void add(byte[] b, int from, int len) {
            if (size + len > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + len));
            }
            System.arraycopy(b, from, buf, size, len);
            size += len;
        }

        int size() {
            return size;
        }

        ByteBuffer bytes() {
            return ByteBuffer.wrap(buf, 0, size);
        }

        void clear() {
            size = 0;
            if (buf.length > 1 << 20) {
                buf = new byte[4096];
            }
        }
    }
}
