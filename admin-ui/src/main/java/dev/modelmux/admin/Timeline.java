package dev.modelmux.admin;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A bounded, in-memory mirror of the mesh's event timeline on one node: entries keep the sequence
 * numbers the shared log gave them, the oldest are dropped past {@code capacity}, and listeners
 * (the live stream) are told of each entry added. Thread-safe; no call waits for anything but a
 * short lock, so it may be fed from a cluster thread and read from an event loop.
 *
 * @param <E> the event type
 */
public final class Timeline<E> {

    /** One entry: the shared log's sequence number and the event. */
    public record Entry<E>(long seq, E event) {}

    private final Object lock = new Object();
    private final Object[] ring;
    private final List<Consumer<Entry<E>>> listeners = new CopyOnWriteArrayList<>();
    private int start;
    private int size;
    private long lastSeq = -1;

    public Timeline(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("timeline capacity must be >= 1, was " + capacity);
        }
        this.ring = new Object[capacity];
    }

    public int capacity() {
        return ring.length;
    }

    /**
     * Adds an entry; one whose sequence number is not above the last one added is ignored (it was
     * seen already, e.g. in the history read at start), so adding is idempotent.
     *
     * @return whether it was added
     */
    public boolean add(long seq, E event) {
        Entry<E> e = new Entry<>(seq, event);
        synchronized (lock) {
            if (seq <= lastSeq) {
                return false;
            }
            lastSeq = seq;
            if (size < ring.length) {
                ring[(start + size) % ring.length] = e;
                size++;
            } else {
                ring[start] = e;
                start = (start + 1) % ring.length;
            }
        }
        for (Consumer<Entry<E>> l : listeners) {
            l.accept(e);
        }
        return true;
    }

    /** Up to {@code max} of the newest entries with a sequence number above {@code afterSeq}, oldest first. */
    public List<Entry<E>> since(long afterSeq, int max) {
        synchronized (lock) {
            List<Entry<E>> out = new ArrayList<>();
            for (int i = size - 1; i >= 0 && out.size() < max; i--) {
                Entry<E> e = at(i);
                if (e.seq() <= afterSeq) {
                    break;
                }
                out.add(e);
            }
            Collections.reverse(out);
            return out;
        }
    }

    /** Up to {@code max} of the newest entries, oldest first. */
    public List<Entry<E>> recent(int max) {
        return since(Long.MIN_VALUE, max);
    }

    /** The sequence number of the newest entry, or -1 when empty. */
    public long lastSeq() {
        synchronized (lock) {
            return size == 0 ? -1 : lastSeq;
        }
    }

    public int size() {
        synchronized (lock) {
            return size;
        }
    }

    /** Calls {@code listener} with every entry added from now on, on the adding thread (keep it short). */
    public Runnable listen(Consumer<Entry<E>> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    @SuppressWarnings("unchecked")
    private Entry<E> at(int i) {
        return (Entry<E>) ring[(start + i) % ring.length];
    }
}
