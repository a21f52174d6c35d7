package dev.modelmux.node.catalog;

import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.ModelEntry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** What the catalog asks the device pool about a model's copies on this node. */
final class Residency {
    private final DevicePool pool;

    Residency(DevicePool pool) {
        this.pool = pool;
    }

    /** Versions of {@code name} with a copy here that is loading or ready (not on its way out). */
    Set<Long> versions(String name) {
        Set<Long> out = new HashSet<>();
        for (DeviceSnapshot d : pool.snapshot()) {
            for (DeviceSnapshot.Resident res : d.residents()) {
                if (res.key().model().equals(name) && res.state() != DeviceSnapshot.State.UNLOADING) {
                    out.add(res.key().version());
                }
            }
        }
        return out;
    }

    /** How {@code entry}'s config disagrees with the signatures of the ready copies of {@code versions}. */
    List<String> mismatches(ModelEntry entry, Set<Long> versions) {
        if (entry.config().isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (long v : versions) {
            pool.resident(new ModelKey(entry.name(), v))
                    .ifPresent(m -> out.addAll(
                            ModelConfigs.signatureMismatches(entry.config().get(), m.inputs(), m.outputs())));
        }
        return out;
    }
}
