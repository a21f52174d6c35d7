package dev.modelmux.node.admin;

import dev.modelmux.admin.AdminEvent;
import dev.modelmux.admin.MeshReadModel;
import dev.modelmux.admin.MeshView;
import dev.modelmux.admin.ModelFigures;
import dev.modelmux.admin.Timeline;
import dev.modelmux.cluster.CatalogEntry;
import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.DeviceRecord;
import dev.modelmux.cluster.MeshEvent;
import dev.modelmux.cluster.ModelKey;
import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.node.mesh.ClusterLink;
import dev.modelmux.node.mesh.Operators;
import dev.modelmux.node.metrics.ModelStats;
import dev.modelmux.node.path.BatchingState;
import dev.modelmux.placement.CopyState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The admin API's read model of the mesh over this node's state: the cluster link's node records
 * and placement table, the repository's index, the shared catalog's sizes, the operators' timeline
 * and pins, and this node's request figures (read from its own windows when asked).
 */
final class MeshReads implements MeshReadModel {
    private final Vertx vertx;
    private final ClusterLink link;
    private final ModelManager models;
    private final Operators operators;
    private final ModelStats stats;
    private final Supplier<List<BatchingState>> batching;

    MeshReads(
            Vertx vertx,
            ClusterLink link,
            ModelManager models,
            Operators operators,
            ModelStats stats,
            Supplier<List<BatchingState>> batching) {
        this.vertx = vertx;
        this.batching = batching;
        this.link = link;
        this.models = models;
        this.operators = operators;
        this.stats = stats;
    }

    @Override
    public String nodeId() {
        return link.nodeId();
    }

    @Override
    public Future<MeshView> mesh() {
        return link.tableSnapshot().map(table -> {
            List<MeshView.Node> nodes = link.nodes().values().stream()
                    .sorted(Comparator.comparing(NodeRecord::nodeId))
                    .map(MeshReads::node)
                    .toList();
            List<MeshView.Version> versions = new ArrayList<>(table.size());
            table.forEach((k, copies) -> versions.add(version(k, copies)));
            return new MeshView(
                    link.nodeId(), new ArrayList<>(new TreeSet<>(link.cluster().members())), nodes, versions);
        });
    }

    private static MeshView.Node node(NodeRecord n) {
        List<MeshView.Device> devices = new ArrayList<>();
        for (DeviceRecord d : n.devices()) {
            devices.add(new MeshView.Device(
                    d.deviceId(), d.kind(), d.capacityBytes(), d.usedBytes(), d.reservedBytes(), d.inFlight()));
        }
        return new MeshView.Node(
                n.nodeId(), n.grpcHost() + ":" + n.grpcPort(), n.draining(), n.updatedAtMillis(), devices);
    }

    private static MeshView.Version version(ModelKey key, List<Copy> copies) {
        List<MeshView.Copy> out = new ArrayList<>(copies.size());
        for (Copy c : copies) {
            out.add(new MeshView.Copy(
                    c.nodeId(),
                    c.deviceId(),
                    CopyState.valueOf(c.state().name()),
                    c.bytes(),
                    c.lastUsedMillis(),
                    c.requestRate(),
                    c.stateSinceMillis(),
                    c.reason()));
        }
        return new MeshView.Version(key.model(), key.version(), out);
    }

    @Override
    public Future<List<ModelFigures>> models() {
        Map<String, List<MeshView.Version>> copies = new HashMap<>();
        new TreeMap<>(link.table())
                .forEach((k, list) -> copies.computeIfAbsent(k.model(), m -> new ArrayList<>())
                        .add(version(k, list)));
        Map<String, List<ModelManager.IndexEntry>> index = new HashMap<>();
        for (ModelManager.IndexEntry e : models.index(false)) {
            index.computeIfAbsent(e.name(), k -> new ArrayList<>()).add(e);
        }
        Map<String, AdminEvent[]> history = history(operators.timeline());
        Map<String, List<ModelFigures.Batching>> batchingHere = new HashMap<>();
        for (BatchingState b : batching.get()) {
            batchingHere
                    .computeIfAbsent(b.model(), k -> new ArrayList<>())
                    .add(new ModelFigures.Batching(
                            b.version(),
                            b.device(),
                            b.decision(),
                            b.singleMicrosPerRow(),
                            b.batchMicrosPerRow(),
                            b.reason()));
        }
        return Future.fromCompletionStage(link.cluster().catalog().all(), vertx.getOrCreateContext())
                .map(catalog -> {
                    Map<String, List<CatalogEntry>> sizes = new HashMap<>();
                    catalog.forEach((k, e) -> sizes.computeIfAbsent(k.model(), m -> new ArrayList<>())
                            .add(e));
                    TreeSet<String> names = new TreeSet<>(models.modelNames());
                    names.addAll(copies.keySet());
                    List<ModelFigures> out = new ArrayList<>(names.size());
                    for (String name : names) {
                        List<MeshView.Version> where = copies.getOrDefault(name, List.of());
                        // Sizes of the versions with copies; of every version the catalog knows when none has one.
                        List<CatalogEntry> known = where.isEmpty()
                                ? sizes.getOrDefault(name, List.of())
                                : where.stream()
                                        .map(v -> catalog.get(ModelKey.of(name, v.version())))
                                        .filter(Objects::nonNull)
                                        .toList();
                        out.add(figures(
                                name,
                                index.getOrDefault(name, List.of()),
                                where,
                                known,
                                history.get(name),
                                batchingHere.getOrDefault(name, List.of())));
                    }
                    return out;
                });
    }

    private ModelFigures figures(
            String name,
            List<ModelManager.IndexEntry> versions,
            List<MeshView.Version> copies,
            List<CatalogEntry> sizes,
            AdminEvent[] history,
            List<ModelFigures.Batching> batchingHere) {
        List<String> listed = new ArrayList<>();
        String repoState = "";
        String repoReason = "";
        for (ModelManager.IndexEntry e : versions) {
            if (!e.version().isEmpty()) {
                listed.add(e.version());
            }
            repoState = e.state();
            repoReason = e.reason();
        }
        // An unloaded or unselected model is UNAVAILABLE by choice, not by error; a model served from its
        // last good view because the repository could not be read is an error in any state.
        String repoError = ("UNAVAILABLE".equals(repoState)
                                && !repoReason.startsWith("unloaded")
                                && !repoReason.startsWith("not selected"))
                        || repoReason.startsWith("repository ")
                ? repoReason
                : "";
        long predicted =
                sizes.stream().mapToLong(CatalogEntry::predictedBytes).max().orElse(-1);
        long measured =
                sizes.stream().mapToLong(CatalogEntry::measuredBytes).max().orElse(-1);
        return new ModelFigures(
                name,
                listed,
                repoState,
                repoError,
                copies,
                predicted >= 0 ? OptionalLong.of(predicted) : OptionalLong.empty(),
                measured >= 0 ? OptionalLong.of(measured) : OptionalLong.empty(),
                models.configPinned(name),
                operators.pinned(name),
                stats.of(name).map(f -> new ModelFigures.Traffic(f.rate(), f.p50Ms(), f.p99Ms())),
                Optional.ofNullable(history == null ? null : history[0]),
                Optional.ofNullable(history == null ? null : history[1]),
                batchingHere);
    }

    /** Per model, the newest LOADED and LOAD_FAILED events the mirror still holds. */
    private static Map<String, AdminEvent[]> history(Timeline<MeshEvent> timeline) {
        Map<String, AdminEvent[]> out = new HashMap<>();
        for (Timeline.Entry<MeshEvent> e : timeline.recent(timeline.capacity())) {
            MeshEvent ev = e.event();
            if (ev.kind() == MeshEvent.Kind.LOADED || ev.kind() == MeshEvent.Kind.LOAD_FAILED) {
                out.computeIfAbsent(ev.model(), k -> new AdminEvent[2])[ev.kind() == MeshEvent.Kind.LOADED ? 0 : 1] =
                        event(e);
            }
        }
        return out;
    }

    @Override
    public List<AdminEvent> events(long afterSeq, int max) {
        return operators.timeline().since(afterSeq, max).stream()
                .map(MeshReads::event)
                .toList();
    }

    @Override
    public long lastEventSeq() {
        return operators.timeline().lastSeq();
    }

    @Override
    public int eventsKept() {
        return Operators.MIRROR;
    }

    @Override
    public Runnable onEvent(Consumer<AdminEvent> listener) {
        return operators.timeline().listen(e -> listener.accept(event(e)));
    }

    private static AdminEvent event(Timeline.Entry<MeshEvent> e) {
        MeshEvent ev = e.event();
        return new AdminEvent(
                e.seq(),
                ev.atMillis(),
                ev.kind().name(),
                ev.nodeId(),
                ev.actor(),
                ev.deviceId(),
                ev.model(),
                ev.version(),
                ev.bytes(),
                ev.millis(),
                ev.detail());
    }
}
