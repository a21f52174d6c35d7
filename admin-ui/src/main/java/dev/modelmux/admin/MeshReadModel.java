package dev.modelmux.admin;

import io.vertx.core.Future;
import java.util.List;
import java.util.function.Consumer;

/**
 * What the admin API reads of the mesh, implemented by the node. Futures complete on the caller's
 * context; the synchronous reads return at once (no cluster call, no lock held long), so they may be
 * called from an event loop.
 */
public interface MeshReadModel {
    /** The id of the node answering. */
    String nodeId();

    /** The nodes, their devices and every model version's copies. */
    Future<MeshView> mesh();

    /** One entry per model the repository or the mesh knows, sorted by name. */
    Future<List<ModelFigures>> models();

    /** Up to {@code max} of the newest events with a sequence number above {@code afterSeq}, oldest first. */
    List<AdminEvent> events(long afterSeq, int max);

    /** The sequence number of the newest event, or -1 when none. */
    long lastEventSeq();

    /** How many events the node keeps (the most one read returns). */
    int eventsKept();

    /**
     * Calls {@code listener} with every event added from now on, on the thread that adds it (keep it
     * short); returns what stops it.
     */
    Runnable onEvent(Consumer<AdminEvent> listener);
}
