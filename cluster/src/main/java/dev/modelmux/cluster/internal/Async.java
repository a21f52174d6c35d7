package dev.modelmux.cluster.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/** Runs blocking Hazelcast calls on the caller-supplied executor, never on the caller's thread. */
final class Async {

    private Async() {}

    /** A rejecting executor (shut down, saturated) fails the future instead of throwing at the caller. */
    static <T> CompletableFuture<T> call(Executor executor, Supplier<T> blocking) {
        try {
            return CompletableFuture.supplyAsync(blocking, executor);
        } catch (RejectedExecutionException e) {
            return failed(e);
        }
    }

    static CompletableFuture<Void> run(Executor executor, Runnable blocking) {
        return call(executor, () -> {
            blocking.run();
            return null;
        });
    }

    static <T> CompletableFuture<T> failed(Throwable error) {
        return CompletableFuture.failedFuture(error);
    }
}
