package dev.modelmux.bench;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import java.util.Map;

/**
 * The compute floor of {@code bench/latency}: the model run in the bench's own JVM through ONNX
 * Runtime configured as the node configures it (gpu-scheduler's {@code OrtRuntime}: one environment
 * with global thread pools of {@code intraOpThreads} intra-op threads and one inter-op thread,
 * brief spinning unless {@code -Dmodelmux.ort.spin=false}; sessions with per-session threads
 * disabled and warning-level logging). One call is what the node's compute metric covers: input
 * tensors from the request's values, {@code session.run}, outputs read into Java arrays.
 */
final class InProcessCompute implements AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final BenchModel model;

    private InProcessCompute(OrtEnvironment env, OrtSession session, BenchModel model) {
        this.env = env;
        this.session = session;
        this.model = model;
    }

    /** The JVM's ONNX Runtime environment, created with the node's threading options. */
    static OrtEnvironment environment(int intraOpThreads) throws OrtException {
        try (OrtEnvironment.ThreadingOptions threading = new OrtEnvironment.ThreadingOptions()) {
            threading.setGlobalIntraOpNumThreads(intraOpThreads);
            threading.setGlobalInterOpNumThreads(1);
            threading.setGlobalSpinControl(!"false".equals(System.getProperty("modelmux.ort.spin")));
            return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, "bench", threading);
        }
    }

    static InProcessCompute open(OrtEnvironment env, BenchModel model) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING);
            options.disablePerSessionThreads();
            return new InProcessCompute(env, env.createSession(model.onnx(), options), model);
        }
    }

    /** The model's outputs for the bench's request (to check the node's answer against). */
    Map<String, float[]> reference() {
        return model.run(env, session);
    }

    /** {@code n} calls one after another; each call's latency in microseconds. */
    RunResult measure(int n) {
        return measure(n, 0);
    }

    /**
     * {@code n} calls with {@code gapNanos} of idleness before each (as a node sees calls that arrive one
     * round trip apart: ONNX Runtime's pool threads have stopped spinning and gone to sleep).
     */
    RunResult measure(int n, long gapNanos) {
        double[] lat = new double[n];
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            if (gapNanos > 0) {
                long until = System.nanoTime() + gapNanos;
                long wait;
                while ((wait = until - System.nanoTime()) > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                }
            }
            long t = System.nanoTime();
            model.run(env, session);
            lat[i] = (System.nanoTime() - t) / 1e3;
        }
        return new RunResult(lat, n, Map.of(), (System.nanoTime() - start) / 1e9);
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
