package dev.modelmux.admin;

import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;

/**
 * The operators' actions on the mesh, implemented by the node. Each is recorded in the mesh's
 * timeline with actor {@code admin}. A refusal fails the future (or throws) with an {@link
 * AdminFailure}, or a failure the backend's translator maps to one: an unknown model or node is
 * NOT_FOUND, a pinned model or a draining node CONFLICT, no room anywhere TOO_MANY_REQUESTS.
 */
public interface MeshActions {
    /**
     * Loads a version of {@code model} (its newest served one when {@code version} is empty) on
     * {@code node}, or where placement picks; completes once the copy is READY there.
     *
     * @param version the version as the caller wrote it (validated here)
     */
    Future<CopyRef> load(String model, Optional<String> version, Optional<String> node);

    /** Unloads every copy of {@code model} (those on {@code node} only, when given); completes once they are gone. */
    Future<List<CopyRef>> unload(String model, Optional<String> node);

    /** Pins or unpins {@code model} mesh-wide. */
    Future<PinState> pin(String model, boolean pin);

    /** Flags or clears {@code node} as draining; completes with whether that changed anything. */
    Future<Boolean> drain(String node, boolean drain);

    /** A copy of a model version on a node. */
    record CopyRef(String node, long version) {}

    /**
     * @param pinned whether the model is pinned now, by an operator or by its config
     * @param changed whether the call changed the operators' pin
     */
    record PinState(boolean pinned, boolean changed) {}
}
