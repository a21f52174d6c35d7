package dev.modelmux.admission.sched;

/** Why a queued request is answered without running (see {@link DeviceQueue.Dispatch#expired}). */
public enum Expiry {
    /** Its deadline (the caller's, shortened by the model's REJECT timeout) passed while it waited. */
    DEADLINE_EXCEEDED(Rejection.DEADLINE_EXCEEDED),
    /** The queue was closed while it waited. */
    CLOSED(null);

    private final Rejection rejection;

    Expiry(Rejection rejection) {
        this.rejection = rejection;
    }

    /** How metrics count it; null for {@link #CLOSED}. */
    public Rejection rejection() {
        return rejection;
    }
}
