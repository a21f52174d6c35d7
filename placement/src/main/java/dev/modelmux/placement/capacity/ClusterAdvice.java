package dev.modelmux.placement.capacity;

import java.util.List;

/**
 * The advice for the whole mesh.
 *
 * @param nodes                 nodes that are not draining
 * @param capacityBytes         their devices' budgets together
 * @param usedBytes             what their resident copies take now
 * @param requiredBytes         the memory every model's required copies take together
 * @param perNodeCapacityBytes  the mean capacity of a node that is not draining (0 without one)
 * @param nodesNeeded           {@code ceil(requiredBytes / perNodeCapacityBytes) + 1} (one for failover)
 * @param status                under-provisioned when fewer nodes than needed or less memory than required
 * @param underProvisioned      models with fewer copies than they need, by name
 * @param overProvisioned       models with more copies than they need, by name
 */
public record ClusterAdvice(
        int nodes,
        long capacityBytes,
        long usedBytes,
        long requiredBytes,
        long perNodeCapacityBytes,
        int nodesNeeded,
        ModelAdvice.Status status,
        List<String> underProvisioned,
        List<String> overProvisioned) {
    public ClusterAdvice {
        underProvisioned = List.copyOf(underProvisioned);
        overProvisioned = List.copyOf(overProvisioned);
    }
}
