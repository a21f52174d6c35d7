package dev.modelmux.gpu;

/** What happened in the pool; published once each, to metrics, logs and (later) the admin UI. */
public sealed interface PoolEvent {
    ModelKey key();

    String deviceId();

    record Loaded(ModelKey key, String deviceId, long predictedBytes, long measuredBytes, long loadNanos)
            implements PoolEvent {}

    record LoadFailed(ModelKey key, String deviceId, ModelLoadException.Kind kind, String reason, long nanos)
            implements PoolEvent {}

    /** Removed to make room for another model ({@code forKey}). */
    record Evicted(ModelKey key, String deviceId, long bytes, ModelKey forKey) implements PoolEvent {}

    /** Removed on request (unload API, version retired, shutdown). */
    record Unloaded(ModelKey key, String deviceId, long bytes) implements PoolEvent {}

    /** Listener; called on pool threads, must not block. */
    @FunctionalInterface
    interface Listener {
        void on(PoolEvent event);
    }
}
