package dev.modelmux.admission.sched;

/**
 * One request inside a {@link DeviceQueue}, from its acceptance until it starts or is answered:
 * when it arrived and the deadline of its wait (the caller's, shortened by the model's REJECT queue
 * timeout; the caller's alone bounds its run).
 */
final class QueueEntry<M, J> {
    final DeviceRequest<M, J> request;
    final long enqueuedNanos;
    final long deadlineNanos;

    QueueEntry(DeviceRequest<M, J> request, long enqueuedNanos, long deadlineNanos) {
        this.request = request;
        this.enqueuedNanos = enqueuedNanos;
        this.deadlineNanos = deadlineNanos;
    }

    M model() {
        return request.model();
    }

    boolean expired(long nowNanos) {
        return deadlineNanos - nowNanos <= 0;
    }
}
