package dev.modelmux.admission.sched;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Why a device's queue turned a request away or answered it without its outputs, as metrics count
 * it: one label per constant ({@link #label()}), the same on every node.
 */
public enum Rejection {
    /** The device was saturated and shed the request (SHEDDABLE first, then everything over the device's bound). */
    SHED,
    /** A queue bound was reached: the tenant's {@code max_queued} or the model's {@code max_queue_size}. */
    QUEUE_FULL,
    /** The request's deadline passed before it could run (or while it ran). */
    DEADLINE_EXCEEDED,
    /**
     * A queue timeout of the model's: a label the metrics and the tenants API have always listed. The
     * device queue does not produce it: a REJECT queue timeout shortens the request's deadline and
     * counts as {@link #DEADLINE_EXCEEDED}.
     */
    TIMEOUT;

    private static final Set<String> LABELS =
            Arrays.stream(values()).map(Rejection::label).collect(Collectors.toUnmodifiableSet());

    /** The metric label: the name in lower case ({@code shed}, {@code queue_full}, ...). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Every label, to tell a scheduler's refusals from other reasons counted under the same metric. */
    public static Set<String> labels() {
        return LABELS;
    }
}
