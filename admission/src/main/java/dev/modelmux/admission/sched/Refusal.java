package dev.modelmux.admission.sched;

/** Why {@link DeviceQueue#submit} refused a request at once; it never ran and was never queued. */
public enum Refusal {
    /** The tenant already has {@code max_queued} requests waiting on the device (or may queue none while it is busy). */
    TENANT_QUEUE_FULL(Rejection.QUEUE_FULL),
    /** The model version already has {@code max_queue_size} requests waiting on the device. */
    MODEL_QUEUE_FULL(Rejection.QUEUE_FULL),
    /** SHEDDABLE work on a saturated device with a full round of work already waiting. */
    SHED(Rejection.SHED),
    /** The device's own bound on waiting requests (CRITICAL work is exempt). */
    DEVICE_QUEUE_FULL(Rejection.SHED),
    /** The fair queue's hard bound per tenant. */
    FAIR_QUEUE_FULL(Rejection.QUEUE_FULL),
    /** The deadline had passed when the request arrived. */
    DEADLINE_EXCEEDED(Rejection.DEADLINE_EXCEEDED),
    /** The queue is closed. */
    CLOSED(null);

    private final Rejection rejection;

    Refusal(Rejection rejection) {
        this.rejection = rejection;
    }

    /** How metrics count it; null for {@link #CLOSED}, which is not a scheduling decision. */
    public Rejection rejection() {
        return rejection;
    }
}
