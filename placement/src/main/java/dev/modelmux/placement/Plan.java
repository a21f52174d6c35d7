package dev.modelmux.placement;

import java.util.List;
import java.util.Objects;

/**
 * Where one new copy goes, and what must be evicted there first (empty when it fits as is).
 * All-or-nothing: if any victim cannot be unloaded, do not load.
 *
 * @param requiredBytes the footprint plus headroom the device must offer
 */
public record Plan(Target target, long requiredBytes, Eviction eviction) {
    public Plan {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(eviction, "eviction");
    }

    public List<CopyView> victims() {
        return eviction.victims();
    }

    public boolean fitsAsIs() {
        return eviction.victims().isEmpty();
    }
}
