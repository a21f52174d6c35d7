package dev.modelmux.placement;

/** Life cycle of one copy of a model on one device. */
public enum CopyState {
    /** Being loaded; its bytes are reserved on the device. It takes no traffic yet. */
    LOADING,
    /** Loaded and taking traffic. */
    READY,
    /** Being unloaded; its bytes are held until the unload finishes. */
    UNLOADING,
    /** The load failed; kept so the cluster does not retry at once. Holds whatever bytes it reports. */
    FAILED;

    /** LOADING or READY: the copy exists or will, and counts towards the model's copies. */
    public boolean isActive() {
        return this == LOADING || this == READY;
    }
}
