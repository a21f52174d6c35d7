package dev.modelmux.gpu.internal;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Terminates runs whose deadline passes: one daemon timer thread for the process. A run's
 * {@link OrtSession.RunOptions} is a native object; setting its terminate flag and closing it are
 * serialised on the options object, and a closed one is never touched, so a timer that fires just
 * as the run finishes cannot reach freed memory.
 */
final class RunDeadlines {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "modelmux-run-deadlines");
        t.setDaemon(true);
        return t;
    });

    private RunDeadlines() {}

    /** A run's options with the state the timer and the closing thread share. */
    static final class Guard {
        final OrtSession.RunOptions options;
        private boolean closed;
        private volatile boolean terminated;

        Guard(OrtSession.RunOptions options) {
            this.options = options;
        }

        boolean terminated() {
            return terminated;
        }

        void terminate() {
            synchronized (this) {
                if (closed) {
                    return;
                }
                try {
                    options.setTerminate(true);
                    terminated = true;
                } catch (OrtException e) {
                    // The run goes on to its end; the caller then answers it late rather than not at all.
                }
            }
        }

        void close() {
            synchronized (this) {
                closed = true;
                options.close();
            }
        }
    }

    /** Opens run options whose terminate flag is set after {@code delayNanos} (at once if not positive). */
    static Guard open(long delayNanos, ScheduledFuture<?>[] timer) throws OrtException {
        Guard g = new Guard(new OrtSession.RunOptions());
        timer[0] = TIMER.schedule(g::terminate, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        return g;
    }
}
