package dev.modelmux.node;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Turns SIGTERM, SIGINT and SIGHUP into one graceful stop that runs <em>before</em> the JVM begins
 * to shut down, instead of in a shutdown hook.
 *
 * <p>Why not a shutdown hook: the JVM runs every hook at once, and ONNX Runtime's Java binding
 * registers one ({@code OrtEnvironment$OrtEnvCloser}) that releases the native environment and
 * its global thread pools. A node that drains for 20 s in its own hook while serving would keep
 * running inferences on a released environment: the JVM died with SIGSEGV in
 * {@code OrtSession.run} about a second into every drain. Here the signal only starts the stop;
 * the process exits (and the hooks run) after every session is closed and every device thread
 * has stopped.
 */
final class StopSignals {
    private static final Logger LOG = LoggerFactory.getLogger(StopSignals.class);
    private static final List<String> SIGNALS = List.of("TERM", "INT", "HUP");

    private StopSignals() {}

    /**
     * Installs the handlers: the first signal runs {@code stop} on the signal's thread; later ones
     * are logged and ignored (the stop is bounded by the drain timeout and the shutdown grace).
     */
    static void install(Runnable stop) {
        AtomicBoolean stopping = new AtomicBoolean();
        for (String name : SIGNALS) {
            try {
                Signal.handle(new Signal(name), sig -> {
                    if (stopping.compareAndSet(false, true)) {
                        stop.run();
                    } else {
                        LOG.warn("SIG{} ignored: already stopping (send SIGKILL to stop at once)", sig.getName());
                    }
                });
            } catch (IllegalArgumentException e) {
                // The signal does not exist here or the JVM reserves it (-Xrs): its default stays.
                LOG.debug("cannot handle SIG{}: {}", name, e.getMessage());
            }
        }
    }
}
