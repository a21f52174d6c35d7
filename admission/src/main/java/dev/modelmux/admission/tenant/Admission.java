package dev.modelmux.admission.tenant;

import dev.modelmux.admission.tenant.AdmissionDecision.Code;
import dev.modelmux.admission.tenant.AdmissionDecision.Rejected;
import dev.modelmux.admission.tenant.TenantStats.Reason;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Admission control, decided before any queueing in a few microseconds and without blocking:
 * authenticate the caller, check the model against the tenant's globs, the request size, the
 * in-flight slots and the rate bucket, in that order (a request turned away for in-flight does not
 * spend a token).
 *
 * <p>Rate quotas are cluster-wide and split across {@link #setNodeCount(int) live nodes}: each node
 * enforces {@code rate / liveNodes} with burst {@code max(1, burst / liveNodes)}. While a node's
 * view of the membership is stale it enforces the old share, and buckets rebuilt on a change
 * start full, so the cluster can overshoot by at most one burst per node per membership change
 * (plus the stale share's excess until the view catches up). See {@link RateLimiter}.
 *
 * <p>Thread-safe. {@link #update(TenantPolicy)} swaps the policy atomically; tenants that still
 * exist keep their in-flight counts and counters, and their rate bucket if rate and burst are
 * unchanged.
 */
public final class Admission {

    /** Retry-after hint when the tenant has too many requests in flight. */
    public static final long IN_FLIGHT_RETRY_AFTER_NANOS = 100_000_000L;

    private volatile State state;
    private final LongAdder unauthenticated = new LongAdder();
    private int nodeCount = 1;

    private Admission(TenantPolicy policy, long nowNanos) {
        this.state = new State(policy, Map.of(), 1, nowNanos);
    }

    public static Admission create(TenantPolicy policy, long nowNanos) {
        if (policy == null) {
            throw new IllegalArgumentException("policy must not be null");
        }
        return new Admission(policy, nowNanos);
    }

    public TenantPolicy policy() {
        return state.policy;
    }

    /** Swaps in a new policy; see the class comment for what carries over. */
    public synchronized void update(TenantPolicy policy, long nowNanos) {
        if (policy == null) {
            throw new IllegalArgumentException("policy must not be null");
        }
        state = new State(policy, state.tenants, nodeCount, nowNanos);
    }

    /**
     * Sets the number of live nodes the cluster-wide rate quotas are split across. Rebuilds every
     * rate bucket (full) when the count changes.
     */
    public synchronized void setNodeCount(int liveNodes, long nowNanos) {
        if (liveNodes < 1) {
            throw new IllegalArgumentException("liveNodes must be >= 1, was " + liveNodes);
        }
        if (liveNodes != nodeCount) {
            nodeCount = liveNodes;
            state = new State(state.policy, state.tenants, liveNodes, nowNanos);
        }
    }

    public synchronized int nodeCount() {
        return nodeCount;
    }

    /** Decides whether to admit a request. Never blocks. */
    public AdmissionDecision admit(String authorization, String model, long requestBytes, long nowNanos) {
        State s = state;
        AuthResult auth = s.policy.authenticate(authorization);
        if (!(auth instanceof AuthResult.Ok ok)) {
            unauthenticated.increment();
            return new Rejected(Code.UNAUTHENTICATED, unauthenticatedMessage(auth), 0);
        }
        TenantState ts = s.tenants.get(ok.tenant().id());
        Tenant t = ts.tenant;
        if (!t.allows(model)) {
            ts.reject(Reason.MODEL_NOT_ALLOWED);
            return new Rejected(
                    Code.PERMISSION_DENIED,
                    "tenant '" + t.id() + "' may not use model '" + printable(model) + "'",
                    0,
                    t.id(),
                    Reason.MODEL_NOT_ALLOWED);
        }
        if (requestBytes > t.maxRequestBytes()) {
            ts.reject(Reason.REQUEST_BYTES);
            return new Rejected(
                    Code.RESOURCE_EXHAUSTED,
                    "request of "
                            + requestBytes
                            + " bytes exceeds tenant '"
                            + t.id()
                            + "' max_request_bytes of "
                            + t.maxRequestBytes(),
                    0,
                    t.id(),
                    Reason.REQUEST_BYTES);
        }
        if (!tryTakeSlot(ts.inFlight, t.maxInFlight())) {
            ts.reject(Reason.IN_FLIGHT);
            return new Rejected(
                    Code.RESOURCE_EXHAUSTED,
                    "tenant '" + t.id() + "' has max_in_flight " + t.maxInFlight() + " requests running",
                    IN_FLIGHT_RETRY_AFTER_NANOS,
                    t.id(),
                    Reason.IN_FLIGHT);
        }
        long wait = ts.limiter.tryAcquire(nowNanos);
        if (wait > 0) {
            ts.inFlight.decrementAndGet();
            ts.reject(Reason.RATE);
            return new Rejected(
                    Code.RESOURCE_EXHAUSTED,
                    "tenant '" + t.id() + "' is over its rate of " + t.rate() + " requests/s",
                    wait,
                    t.id(),
                    Reason.RATE);
        }
        ts.admitted.increment();
        return new AdmissionDecision.Admitted(new Ticket(t, ts.inFlight));
    }

    /** Counters of every tenant of the current policy, by id. */
    public Map<String, TenantStats> snapshot() {
        Map<String, TenantStats> out = new LinkedHashMap<>();
        for (TenantState ts : state.tenants.values()) {
            Map<Reason, Long> rejected = new EnumMap<>(Reason.class);
            for (Reason r : Reason.values()) {
                rejected.put(r, ts.rejected.get(r).sum());
            }
            out.put(ts.tenant.id(), new TenantStats(ts.tenant.id(), ts.admitted.sum(), ts.inFlight.get(), rejected));
        }
        return out;
    }

    /** Requests rejected as UNAUTHENTICATED (they belong to no tenant). */
    public long unauthenticatedRejections() {
        return unauthenticated.sum();
    }

    private static boolean tryTakeSlot(AtomicInteger inFlight, int max) {
        while (true) {
            int n = inFlight.get();
            if (n >= max) {
                return false;
            }
            if (inFlight.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    private static String unauthenticatedMessage(AuthResult auth) {
        if (auth instanceof AuthResult.Missing) {
            return "missing API key: send 'authorization: Bearer <key>'";
        }
        if (auth instanceof AuthResult.Malformed) {
            return "malformed authorization: expected 'Bearer <key>'";
        }
        return "unknown API key";
    }

    private static String printable(String model) {
        if (model == null) {
            return "";
        }
        String m = model.length() > 128 ? model.substring(0, 128) + "..." : model;
        return m.replaceAll("[^\\x20-\\x7e]", "?");
    }

    /** Counters and slots of one tenant; survive policy updates while the tenant id exists. */
    private static final class TenantState {
        final Tenant tenant;
        final RateLimiter limiter;
        final AtomicInteger inFlight;
        final LongAdder admitted;
        final Map<Reason, LongAdder> rejected;

        TenantState(Tenant tenant, TenantState previous, int nodes, long nowNanos) {
            this.tenant = tenant;
            RateLimiter reuse = previous != null
                            && previous.tenant.rate() == tenant.rate()
                            && previous.tenant.burst() == tenant.burst()
                            && previous.limiter.rate() == tenant.rate() / nodes
                    ? previous.limiter
                    : null;
            this.limiter = reuse != null ? reuse : RateLimiter.forNode(tenant.rate(), tenant.burst(), nodes, nowNanos);
            this.inFlight = previous != null ? previous.inFlight : new AtomicInteger();
            this.admitted = previous != null ? previous.admitted : new LongAdder();
            if (previous != null) {
                this.rejected = previous.rejected;
            } else {
                Map<Reason, LongAdder> m = new EnumMap<>(Reason.class);
                for (Reason r : Reason.values()) {
                    m.put(r, new LongAdder());
                }
                this.rejected = m;
            }
        }

        void reject(Reason reason) {
            rejected.get(reason).increment();
        }
    }

    private static final class State {
        final TenantPolicy policy;
        final Map<String, TenantState> tenants;

        State(TenantPolicy policy, Map<String, TenantState> previous, int nodes, long nowNanos) {
            this.policy = policy;
            Map<String, TenantState> m = new HashMap<>();
            for (Tenant t : policy.tenants()) {
                m.put(t.id(), new TenantState(t, previous.get(t.id()), nodes, nowNanos));
            }
            this.tenants = Map.copyOf(m);
        }
    }
}
