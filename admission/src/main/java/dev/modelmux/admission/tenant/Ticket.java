package dev.modelmux.admission.tenant;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An admitted request's in-flight slot. {@link #close()} releases it exactly once; closing again
 * does nothing.
 */
public final class Ticket implements AutoCloseable {

    private final Tenant tenant;
    private final AtomicInteger inFlight;
    private final AtomicBoolean closed = new AtomicBoolean();

    Ticket(Tenant tenant, AtomicInteger inFlight) {
        this.tenant = tenant;
        this.inFlight = inFlight;
    }

    /** The tenant as it was when the request was admitted. */
    public Tenant tenant() {
        return tenant;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            inFlight.decrementAndGet();
        }
    }
}
