package dev.modelmux.cluster.internal;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.RingbufferConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.serialization.HazelcastSerializationException;
import com.hazelcast.ringbuffer.Ringbuffer;
import dev.modelmux.cluster.EventLog;
import dev.modelmux.cluster.OperatorState;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * {@link OperatorState} over two small maps (node id or model name → since when, epoch millis, as a
 * {@link StoredFlag} tagged by the node that set it) and a ringbuffer for the timeline. A flag
 * without a valid tag is not set, to every reader; setting over one replaces it.
 */
final class HazelcastOperatorState implements OperatorState {

    static final String DRAINS_MAP = "modelmux.operator.drains";
    static final String PINS_MAP = "modelmux.operator.pins";
    static final String EVENTS_RINGBUFFER = "modelmux.events";
    static final int EVENTS_CAPACITY = 4096;

    private final IMap<String, Object> drains;
    private final IMap<String, Object> pins;
    private final Executor executor;
    private final LongSupplier clockMillis;
    private final EntryTags tags;
    private final HazelcastEventLog events;

    HazelcastOperatorState(HazelcastInstance hazelcast, Executor executor, LongSupplier clockMillis, EntryTags tags) {
        this.drains = hazelcast.getMap(DRAINS_MAP);
        this.pins = hazelcast.getMap(PINS_MAP);
        this.executor = executor;
        this.clockMillis = clockMillis;
        this.tags = tags;
        Ringbuffer<Object> ring = hazelcast.getRingbuffer(EVENTS_RINGBUFFER);
        this.events = new HazelcastEventLog(ring, executor, tags);
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
        return set(drains, DRAINS_MAP, Forgeries.DRAINS, nodeId, draining);
    }

    @Override
    public CompletableFuture<Set<String>> draining() {
        return flagged(drains, DRAINS_MAP, Forgeries.DRAINS);
    }

    @Override
    public CompletableFuture<Boolean> setPinned(String model, boolean pinned) {
        return set(pins, PINS_MAP, Forgeries.PINS, model, pinned);
    }

    @Override
    public CompletableFuture<Set<String>> pinned() {
        return flagged(pins, PINS_MAP, Forgeries.PINS);
    }

    private CompletableFuture<Set<String>> flagged(IMap<String, Object> map, String name, String label) {
        return Async.call(executor, () -> {
            Set<String> keys = new TreeSet<>();
            for (Map.Entry<String, Object> e : Decode.entries(tags, label, map.entrySet())) {
                Object key = Decode.read(tags, label, "(unreadable key)", e::getKey);
                if (key instanceof String k
                        && StoredFlag.trusted(tags, label, name, k, Decode.value(tags, label, k, e))) {
                    keys.add(k);
                }
            }
            return keys;
        });
    }

    private CompletableFuture<Boolean> set(
            IMap<String, Object> map, String name, String label, String key, boolean on) {
        StoredFlag flag = StoredFlag.tagged(tags, name, key, clockMillis.getAsLong());
        // putIfAbsent keeps the original "since"; both calls are atomic on the key's owner. What
        // they find without a valid tag was never set: it is replaced, or its removal changes nothing.
        return Async.call(executor, () -> {
            Object previous = on
                    ? previous(label, key, () -> map.putIfAbsent(key, flag))
                    : previous(label, key, () -> map.remove(key));
            boolean wasSet = previous != null && StoredFlag.trusted(tags, label, name, key, previous);
            if (on && previous != null && !wasSet) {
                map.set(key, flag);
            }
            return on != wasSet;
        });
    }

    /** What a write returned as the previous value: null if none, itself if unreadable (counted, never trusted). */
    private Object previous(String label, String key, Supplier<Object> write) {
        try {
            return write.get();
        } catch (HazelcastSerializationException unreadable) {
            return unreadable;
        }
    }

    @Override
    public EventLog events() {
        return events;
    }
}
