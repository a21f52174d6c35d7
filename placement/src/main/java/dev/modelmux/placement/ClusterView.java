package dev.modelmux.placement;

import dev.modelmux.placement.internal.IndexedView;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A snapshot of the cluster that decisions read: the nodes with their devices, and the copies
 * of models recorded in the placement table. Immutable; indexed on creation so lookups by model
 * or device are cheap at thousands of nodes and models.
 *
 * <p>A copy may name a node or device that is not (or no longer) in the view: such a copy is
 * <em>lost</em> (its node left or crashed). Lost copies appear in {@link #copies()} and
 * {@link #copiesOf} but are never counted by {@link #readyCount} and hold no device memory.
 */
public interface ClusterView {

    /** Indexes a snapshot. Node ids must be unique. */
    static ClusterView of(List<NodeView> nodes, List<CopyView> copies) {
        return IndexedView.of(nodes, copies);
    }

    /** The nodes, in the order given. */
    List<NodeView> nodes();

    /** All copies recorded, lost ones included. */
    List<CopyView> copies();

    Optional<NodeView> node(String nodeId);

    Optional<DeviceView> device(Target target);

    /** Whether the copy's node is in the view and has the copy's device. */
    default boolean isPresent(Target target) {
        return device(target).isPresent();
    }

    /** Every copy of the model, in any state, lost ones included. */
    List<CopyView> copiesOf(ModelKey key);

    /** The copies recorded on one device. */
    List<CopyView> copiesOn(Target target);

    /** Models that have at least one copy recorded. */
    Set<ModelKey> models();

    /** READY copies of the model on devices present in the view. */
    int readyCount(ModelKey key);

    /** Copies whose node or device is not in the view. */
    List<CopyView> lostCopies();
}
