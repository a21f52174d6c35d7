package dev.modelmux.placement;

import java.util.Objects;

/**
 * One change to the placement that a decision asks the cluster to make. Decisions return actions
 * in the order they must run: the {@link Unload}s that make room for a {@link Load} come
 * before it, and that group is all-or-nothing (if an unload cannot happen, skip the load).
 */
public sealed interface Action {

    Reason reason();

    /** Why an action was asked for; for logs, events and the admin UI. */
    enum Reason {
        /** The model's request rate per copy passed the threshold. */
        SCALE_UP,
        /** The model has fewer copies than it must keep (pinned or {@code minCopies}). */
        BELOW_FLOOR,
        /** The copies on a node that left are re-placed (pinned or {@code minCopies} models only). */
        REPLACE_LOST,
        /** Evicted to make room for a load that follows. */
        MAKE_ROOM,
        /** The model's rate no longer needs this many copies. */
        SCALE_DOWN,
        /** The model was idle past its TTL. */
        IDLE_TTL,
        /** Moved off an over-full device onto a node that joined. */
        RELIEVE,
        /** Moved (or, when other copies serve it, unloaded) off a node that is draining. */
        DRAIN
    }

    /** Load a new copy of {@code key} on {@code target}. */
    record Load(ModelKey key, Target target, Reason reason) implements Action {
        public Load {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Unload {@code copy} (wait for its in-flight requests first). */
    record Unload(CopyView copy, Reason reason) implements Action {
        public Unload {
            Objects.requireNonNull(copy, "copy");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * Load a copy of {@code copy.key()} on {@code to}, then, once it is READY, unload {@code copy};
     * the model keeps serving throughout.
     */
    record Move(CopyView copy, Target to, Reason reason) implements Action {
        public Move {
            Objects.requireNonNull(copy, "copy");
            Objects.requireNonNull(to, "to");
            Objects.requireNonNull(reason, "reason");
        }
    }
}
