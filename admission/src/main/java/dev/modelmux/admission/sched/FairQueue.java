package dev.modelmux.admission.sched;

import dev.modelmux.admission.Priority;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Per-device weighted fair queue across tenants, by deficit round robin (Shreedhar and Varghese).
 *
 * <p>Why DRR rather than start-time fair queuing: O(1) per dequeue, integer cost units with no
 * virtual-time drift, and weights change by simply changing a tenant's quantum on its next turn.
 * Its fairness bound (a backlogged tenant lags its weighted share by at most one quantum plus one
 * max-cost item per round) is what the device scheduler needs.
 *
 * <p>Each tenant has a bounded queue ({@link Config#maxQueuedPerTenant()}); within a tenant, items
 * are served CRITICAL before DEFAULT before SHEDDABLE, FIFO within a priority. An item whose
 * deadline has passed is never returned by {@link #poll}: it is handed to the expiry listener given
 * at creation so the caller can answer DEADLINE_EXCEEDED. Not thread-safe: one device worker
 * drives it. Time is passed in.
 */
public final class FairQueue<T> {

    /**
     * @param maxQueuedPerTenant bound on one tenant's queued items (all priorities together)
     * @param quantumUnits cost units a weight-1 tenant may spend per round
     * @param maxCostUnits largest cost accepted for one item
     */
    public record Config(int maxQueuedPerTenant, long quantumUnits, long maxCostUnits) {
        public static final int DEFAULT_MAX_QUEUED_PER_TENANT = 256;
        public static final long DEFAULT_QUANTUM_UNITS = 1;
        public static final long DEFAULT_MAX_COST_UNITS = 1024;

        public Config {
            if (maxQueuedPerTenant < 1) {
                throw new IllegalArgumentException("maxQueuedPerTenant must be >= 1, was " + maxQueuedPerTenant);
            }
            if (quantumUnits < 1) {
                throw new IllegalArgumentException("quantumUnits must be >= 1, was " + quantumUnits);
            }
            if (maxCostUnits < 1) {
                throw new IllegalArgumentException("maxCostUnits must be >= 1, was " + maxCostUnits);
            }
        }

        public static Config defaults() {
            return new Config(DEFAULT_MAX_QUEUED_PER_TENANT, DEFAULT_QUANTUM_UNITS, DEFAULT_MAX_COST_UNITS);
        }
    }

    /** Outcome of {@link #offer}. Everything but ACCEPTED is a rejection; the name is the reason. */
    public enum OfferResult {
        ACCEPTED,
        /** The tenant's bounded queue is full. */
        QUEUE_FULL,
        /** The deadline had already passed when offered. */
        DEADLINE_EXCEEDED,
        /** Cost below 1 or above {@link Config#maxCostUnits()}. */
        COST_OUT_OF_RANGE;

        public boolean accepted() {
            return this == ACCEPTED;
        }
    }

    /** One queued item and what the scheduler knows about it (enqueue time gives the queue wait). */
    public record Queued<T>(
            String tenantId, Priority priority, T item, long costUnits, long deadlineNanos, long enqueuedNanos) {}

    private static final class TenantQueue<T> {
        final String id;
        final ArrayDeque<Queued<T>>[] byPriority;
        int weight;
        int size;
        long deficit;
        boolean inTurn;
        boolean active;

        @SuppressWarnings("unchecked")
        TenantQueue(String id) {
            this.id = id;
            this.byPriority = new ArrayDeque[Priority.values().length];
            for (int i = 0; i < byPriority.length; i++) {
                byPriority[i] = new ArrayDeque<>();
            }
        }

        Queued<T> head() {
            for (int p = byPriority.length - 1; p >= 0; p--) {
                Queued<T> q = byPriority[p].peekFirst();
                if (q != null) {
                    return q;
                }
            }
            return null;
        }

        Queued<T> removeHead() {
            for (int p = byPriority.length - 1; p >= 0; p--) {
                Queued<T> q = byPriority[p].pollFirst();
                if (q != null) {
                    size--;
                    return q;
                }
            }
            return null;
        }
    }

    private final Config config;
    private final Consumer<Queued<T>> onExpired;
    private final Map<String, TenantQueue<T>> tenants = new HashMap<>();
    /** Tenants with queued items, in round-robin order; the head is the tenant whose turn it is. */
    private final ArrayDeque<TenantQueue<T>> active = new ArrayDeque<>();

    private int depth;

    private FairQueue(Config config, Consumer<Queued<T>> onExpired) {
        this.config = Objects.requireNonNull(config, "config");
        this.onExpired = Objects.requireNonNull(onExpired, "onExpired");
    }

    /** A queue that hands items whose deadline passed while queued to {@code onExpired}. */
    public static <T> FairQueue<T> create(Config config, Consumer<Queued<T>> onExpired) {
        return new FairQueue<>(config, onExpired);
    }

    /**
     * Enqueues {@code item} for {@code tenantId}. The tenant's weight (>= 1) is updated to the
     * latest offered value and takes effect from its next turn.
     */
    public OfferResult offer(
            String tenantId, int weight, Priority priority, T item, long costUnits, long deadlineNanos, long nowNanos) {
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(priority, "priority");
        if (weight < 1) {
            throw new IllegalArgumentException("weight must be >= 1, was " + weight);
        }
        if (costUnits < 1 || costUnits > config.maxCostUnits()) {
            return OfferResult.COST_OUT_OF_RANGE;
        }
        if (deadlineNanos - nowNanos <= 0) {
            return OfferResult.DEADLINE_EXCEEDED;
        }
        TenantQueue<T> t = tenants.computeIfAbsent(tenantId, TenantQueue::new);
        t.weight = weight;
        if (t.size >= config.maxQueuedPerTenant()) {
            return OfferResult.QUEUE_FULL;
        }
        t.byPriority[priority.ordinal()].addLast(
                new Queued<>(tenantId, priority, item, costUnits, deadlineNanos, nowNanos));
        t.size++;
        depth++;
        if (!t.active) {
            t.active = true;
            active.addLast(t);
        }
        return OfferResult.ACCEPTED;
    }

    /**
     * The next item by weighted fairness, or empty when nothing servable is queued. Expired items met
     * on the way are removed and reported to the expiry listener.
     */
    public Optional<Queued<T>> poll(long nowNanos) {
        while (!active.isEmpty()) {
            TenantQueue<T> t = active.peekFirst();
            dropExpiredHeads(t, nowNanos);
            if (t.size == 0) {
                deactivate(t);
                continue;
            }
            if (!t.inTurn) {
                t.inTurn = true;
                t.deficit += t.weight * config.quantumUnits();
            }
            Queued<T> head = t.head();
            if (head.costUnits() <= t.deficit) {
                t.removeHead();
                depth--;
                t.deficit -= head.costUnits();
                if (t.size == 0) {
                    deactivate(t);
                }
                return Optional.of(head);
            }
            // Turn over: the unspent deficit carries to the next round (that is what makes DRR fair).
            t.inTurn = false;
            active.pollFirst();
            active.addLast(t);
        }
        return Optional.empty();
    }

    /** Removes every expired item (not only queue heads) and reports each; returns how many. */
    public int expire(long nowNanos) {
        int n = 0;
        for (TenantQueue<T> t : tenants.values()) {
            for (ArrayDeque<Queued<T>> q : t.byPriority) {
                var it = q.iterator();
                while (it.hasNext()) {
                    Queued<T> e = it.next();
                    if (e.deadlineNanos() - nowNanos <= 0) {
                        it.remove();
                        t.size--;
                        depth--;
                        n++;
                        onExpired.accept(e);
                    }
                }
            }
            if (t.size == 0 && t.active) {
                active.remove(t);
                t.active = false;
                t.inTurn = false;
                t.deficit = 0;
            }
        }
        return n;
    }

    /** Items queued across all tenants (including any expired ones not yet reported). */
    public int depth() {
        return depth;
    }

    /** Items queued for one tenant. */
    public int depth(String tenantId) {
        TenantQueue<T> t = tenants.get(tenantId);
        return t == null ? 0 : t.size;
    }

    private void dropExpiredHeads(TenantQueue<T> t, long nowNanos) {
        for (ArrayDeque<Queued<T>> q : t.byPriority) {
            while (!q.isEmpty() && q.peekFirst().deadlineNanos() - nowNanos <= 0) {
                Queued<T> e = q.pollFirst();
                t.size--;
                depth--;
                onExpired.accept(e);
            }
        }
    }

    private void deactivate(TenantQueue<T> t) {
        // An idle tenant keeps no credit: DRR resets the deficit when a queue empties.
        active.remove(t);
        t.active = false;
        t.inTurn = false;
        t.deficit = 0;
    }
}
