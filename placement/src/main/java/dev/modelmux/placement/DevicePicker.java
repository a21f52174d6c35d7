package dev.modelmux.placement;

import dev.modelmux.placement.internal.DefaultDevicePicker;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Chooses the device for one new copy of a model.
 *
 * <p>Contract:
 * <ul>
 *   <li>The device must offer the model's footprint (measured if known, else predicted) plus the
 *       configured headroom, in free bytes (capacity − used − reserved).
 *   <li>Never a node that is draining; never a device that already holds a LOADING, READY or
 *       FAILED copy of the same model.
 *   <li>Preference, in order: a node that holds no copy of the model (copies spread across
 *       nodes); fewest requests in flight on the device; most free bytes; then node id and device
 *       id, so the answer is deterministic.
 * </ul>
 */
public interface DevicePicker {

    static DevicePicker create(PickerConfig config, Evictor evictor) {
        return new DefaultDevicePicker(config, evictor);
    }

    static DevicePicker defaults() {
        return create(PickerConfig.defaults(), Evictor.defaults());
    }

    /** The footprint plus headroom a device must offer for {@code model}. */
    long requiredBytes(ModelSpec model);

    /** The best device where {@code model} fits as is, among nodes that pass {@code nodes}. */
    Optional<Target> pickFree(ClusterView view, ModelSpec model, Predicate<NodeView> nodes);

    /** The best device where {@code model} fits as is. */
    default Optional<Target> pickFree(ClusterView view, ModelSpec model) {
        return pickFree(view, model, n -> true);
    }

    /**
     * A device where {@code model} fits as is; failing that, the device where the
     * {@link Evictor} makes room most cheaply (spread preference first, then the eviction's cost,
     * then fewest victims, then ids); empty when no device can make room even by evicting.
     */
    Optional<Plan> plan(ClusterView view, ModelSpec model, Map<ModelKey, ModelSpec> specs, long nowNanos);
}
