package dev.modelmux.node.protocol;

import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.ModelKey;
import dev.modelmux.node.catalog.ModelManager.IndexEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * RepositoryIndex as the mesh sees it: a version this node does not hold is READY when a live peer
 * holds a READY copy (the reason names the peers) and LOADING when one is loading it; what this node
 * knows better (READY here, a failed gate) stands.
 */
final class MeshIndex {
    private MeshIndex() {}

    /** The index for {@code RepositoryIndex}, from this node's catalog and its follower of the placement table. */
    static List<IndexEntry> of(ApiContext api, boolean readyOnly) {
        return rows(
                api.models().index(false),
                api.cluster().table(),
                api.cluster().nodes().keySet(),
                api.cluster().nodeId(),
                readyOnly);
    }

    static List<IndexEntry> rows(
            List<IndexEntry> local,
            Map<ModelKey, List<Copy>> table,
            Set<String> liveNodes,
            String self,
            boolean readyOnly) {
        List<IndexEntry> out = new ArrayList<>(local.size());
        for (IndexEntry e : local) {
            IndexEntry row = e;
            boolean unheld = e.state().equals("UNAVAILABLE") && e.reason().startsWith("unloaded");
            if (unheld && !e.version().isEmpty()) {
                List<Copy> copies = table.getOrDefault(ModelKey.of(e.name(), Long.parseLong(e.version())), List.of());
                TreeSet<String> ready = new TreeSet<>();
                TreeSet<String> loading = new TreeSet<>();
                for (Copy c : copies) {
                    if (c.nodeId().equals(self) || !liveNodes.contains(c.nodeId())) {
                        continue;
                    }
                    if (c.state() == Copy.State.READY) {
                        ready.add(c.nodeId());
                    } else if (c.state() == Copy.State.LOADING) {
                        loading.add(c.nodeId());
                    }
                }
                if (!ready.isEmpty()) {
                    row = new IndexEntry(e.name(), e.version(), "READY", "ready on " + nodes(ready), e.sha256());
                } else if (!loading.isEmpty()) {
                    row = new IndexEntry(e.name(), e.version(), "LOADING", "loading on " + nodes(loading), e.sha256());
                }
            }
            if (!readyOnly || row.state().equals("READY")) {
                out.add(row);
            }
        }
        return out;
    }

    private static String nodes(TreeSet<String> ids) {
        return (ids.size() == 1 ? "node " : "nodes ") + String.join(", ", ids);
    }
}
