package dev.modelmux.node.catalog;

/** How the repository drives the catalog: polled for changes, or only through the load/unload API. */
public enum ControlMode {
    POLL,
    EXPLICIT
}
