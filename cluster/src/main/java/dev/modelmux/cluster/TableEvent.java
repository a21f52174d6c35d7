package dev.modelmux.cluster;

import java.util.List;

/**
 * The copies of one model version changed; {@code copies} is the entry's new content (empty when
 * the version has no copy left). Events of one key arrive in order; events are a view for
 * observers (admin UI, metrics), not a log: decisions should read the table.
 */
public record TableEvent(ModelKey key, List<Copy> copies) {

    public TableEvent {
        copies = List.copyOf(copies);
    }
}
