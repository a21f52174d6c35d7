package dev.modelmux.cluster.internal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts what this member refused because its tag did not verify (or it could not be read at all),
 * per map, and logs each refused key once. Keys logged are bounded: past {@link #MAX_LOGGED} the
 * rest are counted only.
 */
final class Forgeries {

    private static final Logger LOG = LoggerFactory.getLogger(Forgeries.class);

    static final String NODES = "nodes";
    static final String PLACEMENTS = "placements";
    static final String DOCUMENTS = "documents";
    static final String DRAINS = "drains";
    static final String PINS = "pins";
    static final String CATALOG = "catalog";
    static final String FEATURES = "features";
    static final String EVENTS = "events";
    /** Entry processors whose own tag did not verify: asked to run, refused. */
    static final String OPERATIONS = "operations";

    static final List<String> LABELS =
            List.of(NODES, PLACEMENTS, DOCUMENTS, DRAINS, PINS, CATALOG, FEATURES, EVENTS, OPERATIONS);
    static final int MAX_LOGGED = 10_000;

    private final Map<String, LongAdder> counts = new LinkedHashMap<>();
    private final Set<String> logged = ConcurrentHashMap.newKeySet();

    Forgeries() {
        LABELS.forEach(l -> counts.put(l, new LongAdder()));
    }

    /** Counts one refused entry of {@code label} at {@code key}; logs it the first time for that key. */
    void refused(String label, Object key, String why) {
        counts.get(label).increment();
        String id = label + '\u0000' + key;
        if (logged.size() < MAX_LOGGED && logged.add(id)) {
            LOG.warn(
                    "cluster: ignored an entry of {} at key '{}' that {}: it was not written by a holder of the "
                            + "cluster secret (an outsider on the cluster network?); further ones at this key are "
                            + "only counted (modelmux_cluster_forged_entries_total)",
                    label,
                    printable(key),
                    why);
        }
    }

    /** Refusals so far, by label (every label present). */
    Map<String, Long> counts() {
        Map<String, Long> out = new LinkedHashMap<>();
        counts.forEach((label, n) -> out.put(label, n.sum()));
        return Collections.unmodifiableMap(out);
    }

    private static String printable(Object key) {
        String s = String.valueOf(key);
        StringBuilder b = new StringBuilder(Math.min(s.length(), 128));
        for (int i = 0; i < s.length() && b.length() < 128; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }
}
