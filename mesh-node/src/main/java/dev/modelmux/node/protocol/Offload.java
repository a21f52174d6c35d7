package dev.modelmux.node.protocol;

import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.gpu.TensorData;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.Callable;

/**
 * Runs CPU work on the event loop when it is small and on a worker when it is not, so decoding
 * a 64 MiB JSON body or encoding a large output never stalls the other requests of an event loop.
 */
public final class Offload {
    /** Work on payloads up to this size runs inline: cheaper than a thread hop. */
    public static final long INLINE_LIMIT_BYTES = 256 * 1024;

    private final WorkerExecutor worker;

    public Offload(WorkerExecutor worker) {
        this.worker = worker;
    }

    public <T> Future<T> run(long payloadBytes, Callable<T> work) {
        if (payloadBytes > INLINE_LIMIT_BYTES) {
            return worker.executeBlocking(work, false);
        }
        try {
            return Future.succeededFuture(work.call());
        } catch (Exception e) {
            return Future.failedFuture(e);
        }
    }

    /** Bytes of output data in a result, to decide where to encode it. */
    public static long outputBytes(InferenceResult result) {
        long n = 0;
        for (TensorData t : result.outputs()) {
            if (t.raw() != null) {
                n += t.raw().remaining();
            } else {
                for (byte[] s : t.strings()) {
                    n += 4L + s.length;
                }
            }
        }
        return n;
    }
}
