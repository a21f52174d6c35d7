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
 * than on a thread. Each event is stored tagged by the node that appended it; readers skip (and
 * count) an item without a valid tag.
 */
final class HazelcastEventLog implements EventLog {

    private static final Logger LOG = LoggerFactory.getLogger(HazelcastEventLog.class);
    private static final int BATCH = 256;

    private final Ringbuffer<Object> ring;
    private final Executor executor;
    private final EntryTags tags;

    HazelcastEventLog(Ringbuffer<Object> ring, Executor executor, EntryTags tags) {
        this.ring = ring;
        this.executor = executor;
        this.tags = tags;
    }

    @Override
    public int capacity() {
        return HazelcastOperatorState.EVENTS_CAPACITY;
    }

    @Override
    public CompletableFuture<Long> append(MeshEvent event) {
        try {
            return ring.addAsync(StoredEvent.tagged(tags, event), OverflowPolicy.OVERWRITE)
                    .toCompletableFuture();
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
                ReadResultSet<Object> rs;
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
                addTrusted(rs, out);
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
        CompletableFuture<ReadResultSet<Object>> read;
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
                addTrusted(rs, batch);
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

    /** The items of {@code rs} that carry a valid tag, with their sequence numbers. */
    private void addTrusted(ReadResultSet<Object> rs, List<Sequenced> out) {
        for (int i = 0; i < rs.size(); i++) {
            int at = i;
            MeshEvent event =
                    StoredEvent.trusted(tags, Decode.read(tags, Forgeries.EVENTS, "timeline", () -> rs.get(at)));
            if (event != null) {
                out.add(new Sequenced(rs.getSequence(i), event));
            }
        }
    }

    private static Throwable cause(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
