package dev.modelmux.admission.sched;

import java.util.Objects;

/**
 * A refusal with what the caller needs to word it and to hint a retry.
 *
 * @param waiting requests that were waiting where the bound applies (the tenant's, the model's or
 *     the device's queue)
 * @param bound the bound that was reached ({@code max_queued}, {@code max_queue_size}, the device's
 *     {@code maxQueued}); 0 where none applies
 * @param retryAfterMillis when the queue ahead has probably drained, for RESOURCE_EXHAUSTED answers;
 *     0 where a retry cannot help (a deadline, a closed queue)
 */
public record Refused(Refusal reason, int waiting, int bound, long retryAfterMillis) {
    public Refused {
        Objects.requireNonNull(reason, "reason");
    }
}
