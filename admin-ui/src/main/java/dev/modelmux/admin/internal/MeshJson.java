package dev.modelmux.admin.internal;

import dev.modelmux.admin.AdminEvent;
import dev.modelmux.admin.MeshView;
import dev.modelmux.admin.ModelFigures;
import dev.modelmux.placement.CopyState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** The mesh's read models as the admin API writes them (key order is part of the shape). */
final class MeshJson {
    /** A model's state: that of its most advanced copy. */
    private static final List<CopyState> STATE_ORDER =
            List.of(CopyState.READY, CopyState.LOADING, CopyState.UNLOADING, CopyState.FAILED);

    private MeshJson() {}

    static JsonObject cluster(MeshView view) {
        JsonArray nodes = new JsonArray();
        for (MeshView.Node n : view.nodes()) {
            JsonArray devices = new JsonArray();
            for (MeshView.Device d : n.devices()) {
                devices.add(new JsonObject()
                        .put("id", d.id())
                        .put("kind", d.kind())
                        .put("capacity_bytes", d.capacityBytes())
                        .put("used_bytes", d.usedBytes())
                        .put("reserved_bytes", d.reservedBytes())
                        .put("free_bytes", d.freeBytes())
                        .put("in_flight", d.inFlight()));
            }
            nodes.add(new JsonObject()
                    .put("id", n.id())
                    .put("grpc", n.grpc())
                    .put("draining", n.draining())
                    .put("updated_at_ms", n.updatedAtMillis())
                    .put("devices", devices));
        }
        JsonArray models = new JsonArray();
        for (MeshView.Version v : view.versions()) {
            JsonArray copies = new JsonArray();
            for (MeshView.Copy c : v.copies()) {
                JsonObject o = new JsonObject()
                        .put("node", c.node())
                        .put("device", c.device())
                        .put("state", c.state().name())
                        .put("bytes", c.bytes())
                        .put("last_used_ms", c.lastUsedMillis())
                        .put("request_rate", c.requestRate())
                        .put("since_ms", c.sinceMillis());
                if (!c.reason().isEmpty()) {
                    o.put("reason", c.reason());
                }
                copies.add(o);
            }
            models.add(new JsonObject()
                    .put("model", v.model())
                    .put("version", Long.toString(v.version()))
                    .put("copies", copies));
        }
        return new JsonObject()
                .put("node", view.node())
                .put("members", new JsonArray(view.members()))
                .put("nodes", nodes)
                .put("models", models);
    }

    static JsonObject event(AdminEvent e) {
        JsonObject o = new JsonObject()
                .put("seq", e.seq())
                .put("at_ms", e.atMillis())
                .put("kind", e.kind())
                .put("node", e.node())
                .put("actor", e.actor());
        if (!e.device().isEmpty()) {
            o.put("device", e.device());
        }
        if (!e.model().isEmpty()) {
            o.put("model", e.model());
            if (e.version() > 0) {
                o.put("version", Long.toString(e.version()));
            }
        }
        if (e.bytes() > 0) {
            o.put("bytes", e.bytes());
        }
        if (e.millis() > 0) {
            o.put("millis", e.millis());
        }
        if (!e.detail().isEmpty()) {
            o.put("detail", e.detail());
        }
        return o;
    }

    /** One row of {@code GET /api/v1/models}. */
    static JsonObject model(ModelFigures m) {
        JsonArray where = new JsonArray();
        Set<CopyState> states = EnumSet.noneOf(CopyState.class);
        int ready = 0;
        double rate = 0;
        long loadedAt = 0;
        String copyError = "";
        for (MeshView.Version v : m.copies()) {
            for (MeshView.Copy c : v.copies()) {
                states.add(c.state());
                where.add(new JsonObject()
                        .put("node", c.node())
                        .put("device", c.device())
                        .put("version", Long.toString(v.version()))
                        .put("state", c.state().name())
                        .put("bytes", c.bytes()));
                if (c.state() == CopyState.READY) {
                    ready++;
                    rate += c.requestRate();
                    loadedAt = Math.max(loadedAt, c.sinceMillis());
                }
                if (c.state() == CopyState.FAILED && !c.reason().isEmpty()) {
                    copyError = c.reason();
                }
            }
        }
        boolean pinned = m.configPinned() || m.adminPinned();
        JsonObject o = new JsonObject()
                .put("name", m.name())
                .put("versions", new JsonArray(m.versions()))
                .put("copies", where)
                .put("ready_copies", ready)
                .put("rps", rate)
                .put("pinned", pinned)
                .put("repo_state", m.repoState());
        STATE_ORDER.stream().filter(states::contains).findFirst().ifPresent(s -> o.put("state", s.name()));
        if (pinned) {
            o.put("pinned_by", m.configPinned() ? "config" : "admin");
        }
        m.predictedBytes().ifPresent(b -> o.put("predicted_bytes", b));
        m.measuredBytes().ifPresent(b -> o.put("measured_bytes", b));
        m.here().ifPresent(t -> {
            t.p50Millis().ifPresent(v -> o.put("p50_ms", v));
            t.p99Millis().ifPresent(v -> o.put("p99_ms", v));
            o.put("rps_here", t.ratePerSecond());
        });
        if (!m.batchingHere().isEmpty()) {
            JsonArray batching = new JsonArray();
            for (ModelFigures.Batching b : m.batchingHere()) {
                JsonObject j = new JsonObject()
                        .put("version", Long.toString(b.version()))
                        .put("device", b.device())
                        .put("decision", b.decision())
                        .put("reason", b.reason());
                if (!Double.isNaN(b.singleMicrosPerRow())) {
                    j.put("single_us_per_row", b.singleMicrosPerRow());
                }
                if (!Double.isNaN(b.batchMicrosPerRow())) {
                    j.put("batch_us_per_row", b.batchMicrosPerRow());
                }
                batching.add(j);
            }
            o.put("batching_here", batching);
        }
        if (m.lastLoad().isPresent()) {
            AdminEvent load = m.lastLoad().get();
            o.put("last_load_ms", load.millis()).put("last_loaded_at_ms", load.atMillis());
        } else if (loadedAt > 0) {
            o.put("last_loaded_at_ms", loadedAt);
        }
        String error = m.lastFailure().map(AdminEvent::detail).orElse(!copyError.isEmpty() ? copyError : m.repoError());
        if (!error.isEmpty()) {
            o.put("last_error", error);
            m.lastFailure().ifPresent(f -> o.put("last_error_at_ms", f.atMillis()));
        }
        return o;
    }
}
