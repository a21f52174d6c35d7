package dev.modelmux.gpu.internal;

import dev.modelmux.gpu.DeviceSpec;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads of one device: {@code concurrency} inference threads behind a bounded queue (a full
 * queue rejects at once; admission upstream is meant to keep it short), and a single load thread
 * that runs loads, evictions and session closes in order, so a slow load never holds up inference.
 * All daemon threads, named {@code modelmux-<device>-infer-<n>} and {@code modelmux-<device>-load}.
 */
final class DeviceWorkers {
    /** Default bound of the inference queue, per inference thread. */
    static final int QUEUE_PER_THREAD = 256;

    private final ThreadPoolExecutor infer;
    private final ThreadPoolExecutor load;
    private final int queueCapacity;

    DeviceWorkers(DeviceSpec device, int queueCapacity) {
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("inference queue capacity must be >= 1, was " + queueCapacity);
        }
        this.queueCapacity = queueCapacity;
        this.infer = new ThreadPoolExecutor(
                device.concurrency(),
                device.concurrency(),
                0,
                TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(queueCapacity),
                threads("modelmux-" + device.id() + "-infer-", true),
                new ThreadPoolExecutor.AbortPolicy());
        this.infer.prestartAllCoreThreads();
        this.load = new ThreadPoolExecutor(
                1,
                1,
                0,
                TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(),
                threads("modelmux-" + device.id() + "-load", false),
                new ThreadPoolExecutor.AbortPolicy());
    }

    ExecutorService infer() {
        return infer;
    }

    ExecutorService load() {
        return load;
    }

    int queueCapacity() {
        return queueCapacity;
    }

    int queued() {
        return infer.getQueue().size();
    }

    void shutdown() {
        infer.shutdown();
        load.shutdown();
    }

    boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        return infer.awaitTermination(timeout, unit)
                && load.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private static ThreadFactory threads(String prefix, boolean numbered) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, numbered ? prefix + n.getAndIncrement() : prefix);
            t.setDaemon(true);
            return t;
        };
    }
}
