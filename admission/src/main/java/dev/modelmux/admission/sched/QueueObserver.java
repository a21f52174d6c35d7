package dev.modelmux.admission.sched;

/**
 * What a device's queue reports, for metrics. Called outside the queue's monitor, from whichever
 * thread drove the queue (a submitter, a finishing device thread or the timer): implementations
 * must be thread-safe and quick.
 *
 * @param <M> the model version key
 */
public interface QueueObserver<M> {
    /** A request was refused or answered without its outputs. */
    void rejected(Caller caller, M model, Rejection reason);

    /** A request left the queue to run, after waiting {@code queueWaitNanos}. */
    void dispatched(Caller caller, M model, long queueWaitNanos);

    /** A unit of a batching model started: {@code rows} along dimension 0 from {@code requests} requests. */
    void batch(M model, int rows, int requests);

    /** An observer that records nothing. */
    static <M> QueueObserver<M> none() {
        return new QueueObserver<>() {
            @Override
            public void rejected(Caller caller, M model, Rejection reason) {}

            @Override
            public void dispatched(Caller caller, M model, long queueWaitNanos) {}

            @Override
            public void batch(M model, int rows, int requests) {}
        };
    }
}
