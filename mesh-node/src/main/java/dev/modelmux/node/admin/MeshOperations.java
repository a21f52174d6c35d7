package dev.modelmux.node.admin;

import dev.modelmux.admin.AdminFailure;
import dev.modelmux.admin.MeshActions;
import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.MeshEvent;
import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.node.catalog.ModelRecord;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.mesh.ClusterLink;
import dev.modelmux.node.mesh.Forwarder;
import dev.modelmux.node.mesh.MeshController;
import dev.modelmux.node.mesh.Operators;
import dev.modelmux.placement.DevicePicker;
import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.ModelSpec;
import dev.modelmux.repo.ModelNames;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The operators' actions on the mesh: a load or unload runs here or is forwarded to the node that
 * holds (or gets) the copy; pins and drains are written to the mesh's shared state. Each is
 * recorded in the timeline with actor {@code admin}.
 */
final class MeshOperations implements MeshActions {
    private final ClusterLink link;
    private final ModelManager models;
    private final Operators operators;
    private final Forwarder forwarder;
    private final LongSupplier nanoClock;
    private final LongSupplier clockMillis;
    private final DevicePicker picker = DevicePicker.defaults();

    MeshOperations(
            ClusterLink link,
            ModelManager models,
            Operators operators,
            Forwarder forwarder,
            LongSupplier nanoClock,
            LongSupplier clockMillis) {
        this.link = link;
        this.models = models;
        this.operators = operators;
        this.forwarder = forwarder;
        this.nanoClock = nanoClock;
        this.clockMillis = clockMillis;
    }

    @Override
    public Future<CopyRef> load(String name, Optional<String> requested, Optional<String> node) {
        ModelRecord r = models.record(name);
        long version = requested
                .flatMap(ModelManager::parseVersion)
                .orElseGet(() -> r.top()
                        .orElseThrow(
                                () -> ServingException.unavailable("model '" + name + "' has no version to serve")));
        String target = node.map(this::takingCopies).orElseGet(() -> pick(name, version));
        operators.record(MeshEvent.model(
                clockMillis.getAsLong(),
                MeshEvent.Kind.LOAD_REQUESTED,
                target,
                "",
                name,
                version,
                0,
                0,
                MeshEvent.ACTOR_ADMIN,
                ""));
        return place(target, name, version, true).map(v -> new CopyRef(target, version));
    }

    /** {@code node}, when it is in the mesh and takes new copies. */
    private String takingCopies(String node) {
        NodeRecord n = link.node(node)
                .orElseThrow(() ->
                        ServingException.notFound("node '" + ModelNames.printable(node) + "' is not in the mesh"));
        if (n.draining()) {
            throw AdminFailure.conflict("node '" + node + "' is draining; it takes no new copies");
        }
        return node;
    }

    /** Where placement puts a new copy (evicting there if it must). */
    private String pick(String name, long version) {
        ModelKey key = new ModelKey(name, version);
        ModelSpec spec = new ModelSpec(key, models.predictedBytes(name, version), OptionalLong.empty(), 0, false, 0, 0);
        return picker.plan(
                        MeshController.view(link.nodes(), link.table()), spec, Map.of(key, spec), nanoClock.getAsLong())
                .map(p -> p.target().nodeId())
                .orElseThrow(() -> AdminFailure.of(
                        AdminFailure.Kind.TOO_MANY_REQUESTS,
                        "no node that is not draining has room for model '" + name + "', even by evicting"));
    }

    @Override
    public Future<List<CopyRef>> unload(String name, Optional<String> node) {
        models.record(name);
        boolean configPinned = models.configPinned(name);
        if (configPinned || operators.pinned(name)) {
            throw AdminFailure.conflict("model '" + name + "' is pinned"
                    + (configPinned ? " by its config.pbtxt" : "; unpin it first")
                    + " (it would be placed again)");
        }
        Set<CopyRef> targets = new LinkedHashSet<>();
        link.table().forEach((k, copies) -> {
            if (k.model().equals(name)) {
                for (Copy c : copies) {
                    if ((c.state() == Copy.State.READY || c.state() == Copy.State.LOADING)
                            && node.map(c.nodeId()::equals).orElse(true)) {
                        targets.add(new CopyRef(c.nodeId(), k.version()));
                    }
                }
            }
        });
        operators.record(MeshEvent.model(
                clockMillis.getAsLong(),
                MeshEvent.Kind.UNLOAD_REQUESTED,
                node.orElse(""),
                "",
                name,
                0,
                0,
                0,
                MeshEvent.ACTOR_ADMIN,
                node.map(n -> "on " + n).orElse("everywhere")));
        List<Future<Void>> all = new ArrayList<>();
        for (CopyRef t : targets) {
            all.add(place(t.node(), name, t.version(), false));
        }
        if (node.map(link.nodeId()::equals).orElse(true)) {
            // Anything here that the table has not seen yet.
            all.add(models.unloadModel(name).recover(e -> Future.succeededFuture()));
        }
        return Future.all(all).map(v -> List.copyOf(targets));
    }

    private Future<Void> place(String node, String name, long version, boolean load) {
        if (node.equals(link.nodeId())) {
            return load ? models.loadVersion(name, version) : models.unloadVersion(name, version);
        }
        return link.node(node)
                .map(n -> forwarder.place(n, name, version, load))
                .orElseGet(() -> Future.failedFuture(
                        ServingException.notFound("node '" + ModelNames.printable(node) + "' is not in the mesh")));
    }

    @Override
    public Future<PinState> pin(String name, boolean pin) {
        models.record(name);
        return operators.setPinned(name, pin).map(changed -> new PinState(pin || models.configPinned(name), changed));
    }

    @Override
    public Future<Boolean> drain(String node, boolean drain) {
        if (drain && link.node(node).isEmpty()) {
            throw ServingException.notFound("node '" + node + "' is not in the mesh");
        }
        return operators.setDraining(node, drain);
    }
}
