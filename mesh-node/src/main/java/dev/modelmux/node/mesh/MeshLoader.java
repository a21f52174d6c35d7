package dev.modelmux.node.mesh;

import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.placement.DevicePicker;
import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.ModelSpec;
import io.vertx.core.Future;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Makes sure a model version is loaded and READY somewhere in the mesh, through the mesh's own load
 * path (as the admin API's load does): nothing to do when a live node holds a READY copy;
 * otherwise placement's device picker chooses a node that is not draining (evicting there if it
 * must) and that node loads it, or this node does when placement has no answer (a mesh still
 * forming). Completes with the id of the node holding the copy, once it is READY.
 */
public final class MeshLoader {
    private final ClusterLink link;
    private final ModelManager models;
    private final Forwarder forwarder;
    private final DevicePicker picker = DevicePicker.defaults();

    public MeshLoader(ClusterLink link, ModelManager models, Forwarder forwarder) {
        this.link = link;
        this.models = models;
        this.forwarder = forwarder;
    }

    public Future<String> ensureReady(String model, long version) {
        return link.copiesNow(model, version).compose(copies -> {
            Optional<Copy> ready = copies.stream()
                    .filter(c -> c.state() == Copy.State.READY
                            && (c.nodeId().equals(link.nodeId())
                                    || link.node(c.nodeId()).isPresent()))
                    .findFirst();
            if (ready.isPresent()) {
                return Future.succeededFuture(ready.get().nodeId());
            }
            String target = pick(model, version);
            Optional<NodeRecord> peer = target.equals(link.nodeId()) ? Optional.empty() : link.node(target);
            Future<Void> load = peer.isPresent()
                    ? forwarder.place(peer.get(), model, version, true)
                    : models.loadVersion(model, version);
            return load.map(v -> peer.isPresent() ? target : link.nodeId());
        });
    }

    private String pick(String model, long version) {
        long predicted = models.predictedBytes(model, version);
        ModelKey key = new ModelKey(model, version);
        ModelSpec spec = new ModelSpec(key, predicted, OptionalLong.empty(), 0, false, 0, 0);
        Map<String, NodeRecord> nodes = link.nodes();
        if (nodes.isEmpty()) {
            return link.nodeId();
        }
        return picker.plan(MeshController.view(nodes, link.table()), spec, Map.of(key, spec), System.nanoTime())
                .map(p -> p.target().nodeId())
                .orElse(link.nodeId());
    }
}
