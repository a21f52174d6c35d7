package dev.modelmux.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/** Passes tasks to a delegate, or holds them while closed: shows work was handed off, not run inline. */
final class GateExecutor implements Executor {

    private final Executor delegate;
    private final List<Runnable> held = new ArrayList<>();
    private boolean open = true;

    GateExecutor(Executor delegate) {
        this.delegate = delegate;
    }

    @Override
    public synchronized void execute(Runnable task) {
        if (open) {
            delegate.execute(task);
        } else {
            held.add(task);
        }
    }

    synchronized void close() {
        open = false;
    }

    synchronized int held() {
        return held.size();
    }

    synchronized void open() {
        open = true;
        held.forEach(delegate::execute);
        held.clear();
    }
}
