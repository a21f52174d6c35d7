package dev.modelmux.admin;

import java.util.Objects;

/** Everything the admin API reads and does, as the node implements it. */
public record AdminBackend(MeshReadModel mesh, MeshActions actions, TenantDirectory tenants, CapacitySource capacity) {
    public AdminBackend {
        Objects.requireNonNull(mesh, "mesh");
        Objects.requireNonNull(actions, "actions");
        Objects.requireNonNull(tenants, "tenants");
        Objects.requireNonNull(capacity, "capacity");
    }
}
