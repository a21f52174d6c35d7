package dev.modelmux.cluster.internal;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A class an attacker would like a member to deserialize (a gadget stands in its place): it counts
 * every instance Java deserialization creates.
 */
final class Canary implements Serializable {

    @Serial
    private static final long serialVersionUID = 1L;

    static final AtomicInteger DESERIALIZED = new AtomicInteger();

    @Serial
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        DESERIALIZED.incrementAndGet();
    }
}
