package dev.modelmux.node.catalog;

/** What a model being "ready" means to the protocol's {@code ModelReady}. */
public enum ModelReadiness {
    /**
     * The mesh can serve it: registered, the version is served, and it is not known to have failed its
     * gate; a call may pay a load. What a client that waits for readiness before sending needs from a
     * node that loads lazily.
     */
    SERVABLE,
    /** Triton's strict meaning: the version is loaded on this node. */
    LOADED
}
