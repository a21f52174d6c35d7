package dev.modelmux.node.path;

import java.util.ArrayList;
import java.util.List;

/**
 * Set when the caller of a request has gone: its gRPC stream was reset (the client cancelled it,
 * or a hedging peer cancelled the losing forward). A request whose signal is set by the time the
 * device would start it is not run, and a forward it is waiting on is cancelled in turn: the mesh's
 * time goes to requests somebody still waits for.
 *
 * <p>Threading: set from an event loop; read from whichever thread starts the request; listeners run
 * on the thread that sets it (or at once, on the caller's, when it is already set).
 */
public final class CancelSignal {
    private static final CancelSignal NEVER = new CancelSignal();

    private volatile boolean cancelled;
    private List<Runnable> listeners = new ArrayList<>(1);

    /** A signal that is never set (requests made inside the node, tests). */
    public static CancelSignal never() {
        return NEVER;
    }

    /** A fresh, unset signal. */
    public static CancelSignal create() {
        return new CancelSignal();
    }

    /** Marks the request cancelled and tells the listeners. Idempotent; does nothing on {@link #never()}. */
    public void cancel() {
        if (this == NEVER) {
            return;
        }
        List<Runnable> tell;
        synchronized (this) {
            if (cancelled) {
                return;
            }
            cancelled = true;
            tell = listeners;
            listeners = null;
        }
        tell.forEach(Runnable::run);
    }

    /** Runs {@code listener} when the signal is set: at once when it already is; never on {@link #never()}. */
    public void onCancel(Runnable listener) {
        if (this == NEVER) {
            return;
        }
        synchronized (this) {
            if (!cancelled) {
                listeners.add(listener);
                return;
            }
        }
        listener.run();
    }

    public boolean cancelled() {
        return cancelled;
    }
}
