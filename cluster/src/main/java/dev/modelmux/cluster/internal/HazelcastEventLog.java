package dev.modelmux.cluster.internal;

import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.ringbuffer.OverflowPolicy;
import com.hazelcast.ringbuffer.ReadResultSet;
import com.hazelcast.ringbuffer.Ringbuffer;
import com.hazelcast.ringbuffer.StaleSequenceException;
import dev.modelmux.cluster.EventLog;
import dev.modelmux.cluster.MeshEvent;
import dev.modelmux.cluster.Sequenced;
import dev.modelmux.cluster.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link EventLog} on a Hazelcast ringbuffer: appends overwrite the oldest entry when full (never
 * wait), and followers long-poll with {@code readManyAsync}, which parks on the partition rather
 * than on a thread.
 */
final class HazelcastEventLog implements EventLog {

    private static final Logger LOG = LoggerFactory.getLogger(HazelcastEventLog.class);
    private static final int BATCH = 256;

    private final Ringbuffer<MeshEvent> ring;
    private final Executor executor;

    HazelcastEventLog(Ringbuffer<MeshEvent> ring, Executor executor) {
        this.ring = ring;
        this.executor = executor;
    }

    @Override
    public int capacity() {
        return HazelcastOperatorState.EVENTS_CAPACITY;
    }

    @Override
    public CompletableFuture<Long> append(MeshEvent event) {
        try {
            return ring.addAsync(event, OverflowPolicy.OVERWRITE).toCompletableFuture();
        } catch (RuntimeException e) {
            return Async.failed(e);
        }
    }

    @Override
    public CompletableFuture<List<Sequenced>> recent(int max) {
        return Async.call(executor, () -> {
            long tail = ring.tailSequence();
            long head = ring.headSequence();
            long from = Math.max(head, tail - Math.max(0, max) + 1);
            List<Sequenced> out = new ArrayList<>();
            while (from <= tail && out.size() < max) {
                ReadResultSet<MeshEvent> rs;
                try {
                    rs = ring.readManyAsync(from, 0, Math.min(BATCH, max - out.size()), null)
                            .toCompletableFuture()
                            .get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    if (cause(e) instanceof StaleSequenceException) {
                        from = ring.headSequence();
                        continue;
                    }
                    throw new CompletionException(cause(e));
                }
                if (rs.readCount() == 0) {
                    break;
                }
                for (int i = 0; i < rs.size(); i++) {
                    out.add(new Sequenced(rs.getSequence(i), rs.get(i)));
                }
                from = rs.getNextSequenceToReadFrom();
            }
            return out;
        });
    }

    @Override
    public Subscription follow(Consumer<List<Sequenced>> listener) {
        AtomicBoolean cancelled = new AtomicBoolean();
        Async.call(executor, () -> ring.tailSequence() + 1).whenComplete((start, t) -> {
            if (t == null) {
                poll(start, listener, cancelled);
            } else if (!cancelled.get()) {
                LOG.warn("event log: cannot follow the timeline: {}", cause(t).toString());
            }
        });
        return () -> {
            cancelled.set(true);
            return CompletableFuture.completedFuture(null);
        };
    }

    private void poll(long from, Consumer<List<Sequenced>> listener, AtomicBoolean cancelled) {
        if (cancelled.get()) {
            return;
        }
        CompletableFuture<ReadResultSet<MeshEvent>> read;
        try {
            read = ring.readManyAsync(from, 1, BATCH, null).toCompletableFuture();
        } catch (RuntimeException e) {
            read = Async.failed(e);
        }
        read.whenComplete((rs, t) -> {
            if (cancelled.get()) {
                return;
            }
            if (t == null) {
                List<Sequenced> batch = new ArrayList<>(rs.size());
                for (int i = 0; i < rs.size(); i++) {
                    batch.add(new Sequenced(rs.getSequence(i), rs.get(i)));
                }
                try {
                    listener.accept(batch);
                } catch (RuntimeException e) {
                    LOG.warn("event log listener failed", e);
                }
                poll(rs.getNextSequenceToReadFrom(), listener, cancelled);
                return;
            }
            Throwable c = cause(t);
            if (c instanceof HazelcastInstanceNotActiveException) {
                return;
            }
            if (c instanceof StaleSequenceException) {
                // Overwritten before we read it: resume at the oldest still kept.
                Async.call(executor, ring::headSequence)
                        .whenComplete((head, t2) -> poll(t2 == null ? head : from, listener, cancelled));
                return;
            }
            LOG.debug("event log: read failed, retrying in a second: {}", c.toString());
            CompletableFuture.runAsync(
                    () -> poll(from, listener, cancelled),
                    CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS, executor));
        });
    }

    private static Throwable cause(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
