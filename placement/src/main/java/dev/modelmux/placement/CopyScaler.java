package dev.modelmux.placement;

import dev.modelmux.placement.internal.DefaultCopyScaler;
import java.util.Map;

/**
 * Decides how many copies each model needs, and the loads and unloads that get it there.
 *
 * <p>Contract, per model in the catalog (copies on nodes no longer in the view are ignored; that
 * is the {@link Rebalancer}'s business):
 * <ul>
 *   <li>Let {@code active} be its LOADING and READY copies and {@code rate} their summed request
 *       rate. More copies when {@code rate / active > perCopyRate}: enough that none carries more
 *       than {@code perCopyRate}. Fewer only when the remaining copies would each carry less than
 *       {@code perCopyRate × scaleDownUtilization}; between the two marks nothing changes, so the
 *       count does not flap.
 *   <li>Never fewer than {@code max(minCopies, pinned ? 1 : 0)}, and never fewer than one while
 *       the model is loaded: idleness alone unloads a model only through its TTL. Never more than
 *       {@code maxCopies}, unless {@code minCopies} asks for more.
 *   <li>A model idle past its TTL ({@code idleTtlNanos > 0}, not pinned, {@code minCopies == 0},
 *       nothing in flight or loading) goes to zero copies.
 *   <li>Removed copies are READY, idle (nothing in flight), older than {@code scaleDownDelayNanos};
 *       a model never loses its last READY copy to a scale-down while another is still loading.
 *   <li>New copies are placed with the {@link DevicePicker}, evicting if needed; unloads come
 *       first, then loads, floors before rate-driven copies.
 * </ul>
 */
public interface CopyScaler {

    static CopyScaler create(ScalerConfig config, DevicePicker picker) {
        return new DefaultCopyScaler(config, picker);
    }

    static CopyScaler defaults() {
        return create(ScalerConfig.defaults(), DevicePicker.defaults());
    }

    ScaleDecision scale(ClusterView view, Map<ModelKey, ModelSpec> specs, long nowNanos);
}
