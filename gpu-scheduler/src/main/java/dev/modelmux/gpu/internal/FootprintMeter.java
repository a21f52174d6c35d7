package dev.modelmux.gpu.internal;

import dev.modelmux.gpu.DeviceSpec;

/**
 * Measures what a load cost a device. The loader opens a measurement before creating the
 * sessions, asks for the bytes after warm-up, and closes it (always).
 */
public interface FootprintMeter {

    Measurement begin(DeviceSpec device);

    /** One load's measurement. */
    @FunctionalInterface
    interface Measurement extends AutoCloseable {
        /**
         * The measured footprint, given the prediction and the pre-scan's initializer bytes (a lower
         * bound: the weights must live somewhere).
         */
        long bytes(long predictedBytes, long initializerBytes);

        @Override
        default void close() {}
    }

    /** A meter that trusts the pre-scan alone: measured = initializer bytes. Deterministic, for tests and simulations. */
    static FootprintMeter initializerBytes() {
        return device -> (predicted, initializers) -> initializers;
    }
}
