package dev.modelmux.cluster.internal;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.RingbufferConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.ringbuffer.Ringbuffer;
import dev.modelmux.cluster.EventLog;
import dev.modelmux.cluster.MeshEvent;
import dev.modelmux.cluster.OperatorState;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * {@link OperatorState} over two small maps (node id or model name → since when, epoch millis)
 * and a ringbuffer for the timeline.
 */
final class HazelcastOperatorState implements OperatorState {

    static final String DRAINS_MAP = "modelmux.operator.drains";
    static final String PINS_MAP = "modelmux.operator.pins";
    static final String EVENTS_RINGBUFFER = "modelmux.events";
    static final int EVENTS_CAPACITY = 4096;

    private final IMap<String, Long> drains;
    private final IMap<String, Long> pins;
    private final Executor executor;
    private final LongSupplier clockMillis;
    private final HazelcastEventLog events;

    HazelcastOperatorState(HazelcastInstance hazelcast, Executor executor, LongSupplier clockMillis) {
        this.drains = hazelcast.getMap(DRAINS_MAP);
        this.pins = hazelcast.getMap(PINS_MAP);
        this.executor = executor;
        this.clockMillis = clockMillis;
        Ringbuffer<MeshEvent> ring = hazelcast.getRingbuffer(EVENTS_RINGBUFFER);
        this.events = new HazelcastEventLog(ring, executor);
    }

    /** Adds the maps' and the ringbuffer's configuration (one synchronous backup each). */
    static void configure(Config config) {
        config.addMapConfig(new MapConfig(DRAINS_MAP).setBackupCount(1));
        config.addMapConfig(new MapConfig(PINS_MAP).setBackupCount(1));
        config.addRingBufferConfig(new RingbufferConfig(EVENTS_RINGBUFFER)
                .setCapacity(EVENTS_CAPACITY)
                .setBackupCount(1));
    }

    @Override
    public CompletableFuture<Boolean> setDraining(String nodeId, boolean draining) {
        return set(drains, nodeId, draining);
    }

    @Override
    public CompletableFuture<Set<String>> draining() {
        return Async.call(executor, () -> new TreeSet<>(drains.keySet()));
    }

    @Override
    public CompletableFuture<Boolean> setPinned(String model, boolean pinned) {
        return set(pins, model, pinned);
    }

    @Override
    public CompletableFuture<Set<String>> pinned() {
        return Async.call(executor, () -> new TreeSet<>(pins.keySet()));
    }

    private CompletableFuture<Boolean> set(IMap<String, Long> map, String key, boolean on) {
        // putIfAbsent keeps the original "since"; both calls are atomic on the key's owner.
        return Async.call(
                executor, () -> on ? map.putIfAbsent(key, clockMillis.getAsLong()) == null : map.remove(key) != null);
    }

    @Override
    public EventLog events() {
        return events;
    }
}
