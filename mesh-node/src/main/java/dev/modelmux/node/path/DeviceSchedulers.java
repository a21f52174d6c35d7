package dev.modelmux.node.path;

import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.DeviceSpec;
import dev.modelmux.node.metrics.NodeMetrics;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.LongSupplier;

/**
 * One {@link DeviceScheduler} per device of the pool, sharing one timer thread for batch delays and
 * deadlines. Its gauges (queue depth, in flight, concurrency limit per device) are read at scrape.
 */
public final class DeviceSchedulers implements AutoCloseable {
    private final Map<String, DeviceScheduler> byDevice = new LinkedHashMap<>();
    private final ScheduledThreadPoolExecutor timer;

    public DeviceSchedulers(DevicePool pool, LongSupplier clock, NodeMetrics metrics) {
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "modelmux-scheduler-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        for (DeviceSpec d : pool.devices()) {
            DeviceScheduler s = new DeviceScheduler(
                    d.id(), DeviceScheduler.Config.of(d.concurrency()), clock, timer, metrics.forDevice(d.id()));
            byDevice.put(d.id(), s);
            metrics.bindScheduler(d.id(), s::queued, s::inFlight, s::limit);
        }
    }

    DeviceScheduler of(String deviceId) {
        DeviceScheduler s = byDevice.get(deviceId);
        if (s == null) {
            throw new IllegalStateException("no scheduler for device " + deviceId);
        }
        return s;
    }

    /** Requests waiting on every device of this node. */
    public int queued() {
        return byDevice.values().stream().mapToInt(DeviceScheduler::queued).sum();
    }

    /**
     * Whether any device of this node is saturated: requests are waiting, or as many run as its
     * concurrency limit allows. Optional work (shadow traffic) is dropped then.
     */
    public boolean saturated() {
        return byDevice.values().stream().anyMatch(s -> s.queued() > 0 || s.inFlight() >= s.limit());
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
