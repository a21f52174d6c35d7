package dev.modelmux.node.path;

import dev.modelmux.admission.sched.DeviceQueue;
import dev.modelmux.admission.sched.WakeTimer;
import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.DeviceSpec;
import dev.modelmux.node.metrics.NodeMetrics;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
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
        WakeTimer wakeTimer = this::schedule;
        for (DeviceSpec d : pool.devices()) {
            DeviceScheduler s = new DeviceScheduler(
                    d.id(),
                    DeviceQueue.Config.forThreads(d.concurrency()),
                    clock,
                    wakeTimer,
                    metrics.forDevice(d.id()),
                    metrics.cancelledCounter(d.id()));
            byDevice.put(d.id(), s);
            metrics.bindScheduler(d.id(), s::queued, s::inFlight, s::limit);
        }
    }

    private WakeTimer.Cancellable schedule(long delayNanos, Runnable task) {
        try {
            ScheduledFuture<?> f = timer.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
            return () -> f.cancel(false);
        } catch (RejectedExecutionException e) {
            // Closing: the queues answer what waits themselves.
            return () -> {};
        }
    }

    DeviceScheduler of(String deviceId) {
        DeviceScheduler s = byDevice.get(deviceId);
        if (s == null) {
            throw new IllegalStateException("no scheduler for device " + deviceId);
        }
        return s;
    }

    /**
     * This node's batching decisions: one per model version batching {@code auto} and device it ran
     * on recently, sorted by model, version and device.
     */
    public List<BatchingState> batching() {
        List<BatchingState> out = new ArrayList<>();
        byDevice.forEach((device, s) -> s.batching()
                .forEach((k, v) -> out.add(new BatchingState(
                        k.model(),
                        k.version(),
                        device,
                        v.decision().name(),
                        v.phase().name(),
                        v.singleNanosPerRow() / 1000,
                        v.batchNanosPerRow() / 1000,
                        v.comparisons(),
                        v.reason()))));
        out.sort(Comparator.comparing(BatchingState::model)
                .thenComparingLong(BatchingState::version)
                .thenComparing(BatchingState::device));
        return out;
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

    /**
     * Pauses dispatch on {@code deviceId} until the hold is closed: what runs finishes, nothing new
     * starts, and waiting requests keep their deadlines (they are answered DEADLINE_EXCEEDED on time).
     *
     * @throws IllegalStateException for a device this node does not have
     */
    public DeviceQueue.Hold hold(String deviceId) {
        return of(deviceId).hold();
    }

    /** Answers every waiting request UNAVAILABLE, refuses new ones, and stops the timer thread. */
    @Override
    public void close() {
        byDevice.values().forEach(DeviceScheduler::close);
        timer.shutdownNow();
    }
}
