package dev.modelmux.cluster.internal;

import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.Copy.State;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The placement table's rules as pure functions over one version's copy list: what the entry
 * processors run on the partition owner, and what the split-brain merge runs. Lists are kept
 * sorted by {@link Copy#BY_PLACE}, so equal content means equal lists.
 */
final class CopyLists {

    /** The list after an operation, and whether the operation applied. */
    record Outcome(List<Copy> copies, boolean applied) {
        static Outcome rejected(List<Copy> unchanged) {
            return new Outcome(unchanged, false);
        }
    }

    private CopyLists() {}

    static Outcome claim(List<Copy> copies, String node, String device, long bytes, long now, boolean onlyIfNoLive) {
        Copy existing = find(copies, node, device);
        if (existing != null && existing.state() != State.FAILED) {
            return Outcome.rejected(copies);
        }
        if (onlyIfNoLive && copies.stream().anyMatch(Copy::isLive)) {
            return Outcome.rejected(copies);
        }
        Copy claimed = Copy.loading(node, device, bytes, now);
        if (existing != null) {
            claimed = claimed.withVersion(existing.version() + 1);
        }
        return new Outcome(put(copies, claimed), true);
    }

    /** Moves a copy whose state is in {@code from} to {@code to}; {@code bytes < 0} keeps its size. */
    static Outcome transition(
            List<Copy> copies,
            String node,
            String device,
            Set<State> from,
            State to,
            String reason,
            long bytes,
            long now) {
        Copy existing = find(copies, node, device);
        if (existing == null || !from.contains(existing.state())) {
            return Outcome.rejected(copies);
        }
        Copy next = existing.inState(to, reason, bytes < 0 ? existing.bytes() : bytes, now);
        return new Outcome(put(copies, next), true);
    }

    static Outcome remove(List<Copy> copies, String node, String device) {
        Copy existing = find(copies, node, device);
        if (existing == null || existing.state() == State.LOADING || existing.state() == State.READY) {
            return Outcome.rejected(copies);
        }
        List<Copy> rest = new ArrayList<>(copies);
        rest.remove(existing);
        return new Outcome(List.copyOf(rest), true);
    }

    static Outcome touch(List<Copy> copies, String node, String device, long lastUsedMillis, double rate) {
        Copy existing = find(copies, node, device);
        if (existing == null) {
            return Outcome.rejected(copies);
        }
        return new Outcome(put(copies, existing.touched(lastUsedMillis, rate)), true);
    }

    /**
     * Replaces {@code node}'s copies with {@code reported}: a reported copy equal to the current
     * one but for its counter keeps the current one; a changed or new one gets the next counter;
     * an unreported copy goes, unless it is LOADING since after {@code asOfMillis}.
     */
    static List<Copy> reassert(List<Copy> copies, String node, List<Copy> reported, long asOfMillis) {
        Map<String, Copy> current = new HashMap<>();
        List<Copy> result = new ArrayList<>();
        for (Copy c : copies) {
            if (c.nodeId().equals(node)) {
                current.put(c.deviceId(), c);
            } else {
                result.add(c);
            }
        }
        for (Copy r : reported) {
            Copy old = current.remove(r.deviceId());
            if (old != null && old.sameContentAs(r)) {
                result.add(old);
            } else {
                result.add(r.withVersion(Math.max(r.version(), old == null ? 0 : old.version()) + 1));
            }
        }
        for (Copy unreported : current.values()) {
            if (unreported.state() == State.LOADING && unreported.stateSinceMillis() > asOfMillis) {
                result.add(unreported);
            }
        }
        return sorted(result);
    }

    /**
     * Split-brain merge of one version's copies: the union by place; where both sides have a copy
     * on the same device, the higher counter wins (ties keep {@code existing}). A copy removed on
     * one side survives from the other: over-counting a device's memory until the holder's next
     * reassert is safer than forgetting a copy that exists.
     */
    static List<Copy> union(List<Copy> existing, List<Copy> merging) {
        Map<String, Copy> byPlace = new HashMap<>();
        for (Copy c : existing) {
            byPlace.put(place(c), c);
        }
        for (Copy c : merging) {
            byPlace.merge(place(c), c, (kept, incoming) -> incoming.version() > kept.version() ? incoming : kept);
        }
        return sorted(new ArrayList<>(byPlace.values()));
    }

    static Copy find(List<Copy> copies, String node, String device) {
        for (Copy c : copies) {
            if (c.isAt(node, device)) {
                return c;
            }
        }
        return null;
    }

    static List<Copy> sorted(List<Copy> copies) {
        List<Copy> list = new ArrayList<>(copies);
        list.sort(Copy.BY_PLACE);
        return List.copyOf(list);
    }

    private static List<Copy> put(List<Copy> copies, Copy copy) {
        List<Copy> list = new ArrayList<>(copies.size() + 1);
        for (Copy c : copies) {
            if (!c.isAt(copy.nodeId(), copy.deviceId())) {
                list.add(c);
            }
        }
        list.add(copy);
        return sorted(list);
    }

    private static String place(Copy c) {
        return c.nodeId() + '\u0000' + c.deviceId();
    }
}
