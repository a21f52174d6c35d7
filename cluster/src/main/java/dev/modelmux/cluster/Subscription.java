package dev.modelmux.cluster;

import java.util.concurrent.CompletableFuture;

/** A registered listener; cancel it to stop receiving events. */
public interface Subscription {

    /** Stops delivery; completes once the listener is deregistered everywhere. Idempotent. */
    CompletableFuture<Void> cancel();
}
