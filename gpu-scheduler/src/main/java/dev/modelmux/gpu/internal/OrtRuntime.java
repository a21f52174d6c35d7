package dev.modelmux.gpu.internal;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import dev.modelmux.gpu.DeviceKind;
import dev.modelmux.gpu.DeviceSpec;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.OnnxModelBuilder;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's ONNX Runtime environment and how sessions are configured on it.
 *
 * <p>There is one {@link OrtEnvironment} per JVM. The first pool creates it with global thread
 * pools (intra-op pool of the configured size, inter-op pool of 1, brief spinning) and every session
 * is created with {@code disablePerSessionThreads()}, so a hundred models share one set of
 * threads. If something else in the JVM created the environment first, it is reused: we probe
 * whether it has global pools; if not, each session runs single-threaded (intra- and inter-op 1,
 * which makes ONNX Runtime create no threads of its own) and a warning is logged. A later pool
 * with a different thread count shares the first one's environment, also with a warning.
 */
public final class OrtRuntime {
    private static final Logger log = LoggerFactory.getLogger(OrtRuntime.class);
    static final String LOG_ID = "modelmux";

    private static OrtRuntime instance;

    private final OrtEnvironment env;
    private final boolean globalThreadPools;
    private final int intraOpThreads;
    private final boolean cudaAvailable;

    private OrtRuntime(OrtEnvironment env, boolean globalThreadPools, int intraOpThreads) {
        this.env = env;
        this.globalThreadPools = globalThreadPools;
        this.intraOpThreads = intraOpThreads;
        this.cudaAvailable = OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
    }

    /**
     * Runs one small MLP once, so the runtime's one-time costs (thread pool start, allocator set-up,
     * the common kernels paged in) land here rather than in the first model's measured footprint.
     */
    private void prime() {
        byte[] mlp = OnnxModelBuilder.mlp()
                .inputDim(16)
                .width(64)
                .depth(1)
                .outputDim(4)
                .build();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            configure(options, globalThreadPools);
            try (OrtSession session = env.createSession(mlp, options);
                    OnnxTensor x = OnnxTensor.createTensor(env, new float[1][16]);
                    OrtSession.Result r = session.run(Map.of("input", x))) {
                log.debug("ONNX Runtime primed ({} output)", r.size());
            }
        } catch (OrtException | RuntimeException e) {
            log.warn("ONNX Runtime could not be primed: {}", e.getMessage());
        }
    }

    /** The process-wide runtime, created on first use with {@code intraOpThreads} global threads. */
    public static synchronized OrtRuntime get(int intraOpThreads) {
        if (instance != null) {
            if (instance.globalThreadPools && instance.intraOpThreads != intraOpThreads) {
                log.warn(
                        "ONNX Runtime already runs with {} global intra-op threads; a pool asked for {} and shares them",
                        instance.intraOpThreads,
                        intraOpThreads);
            }
            return instance;
        }
        OrtEnvironment env;
        boolean global;
        try (OrtEnvironment.ThreadingOptions threading = new OrtEnvironment.ThreadingOptions()) {
            threading.setGlobalIntraOpNumThreads(intraOpThreads);
            threading.setGlobalInterOpNumThreads(1);
            // Pool threads spin briefly after each parallel section before sleeping. Measured with
            // bench/run on 2 cores: without spinning MiniLM-q ran 1.6x slower per call (every parallel
            // section paid a thread wake-up); the spin is bounded, so an idle node does not burn CPU.
            threading.setGlobalSpinControl(!"false".equals(System.getProperty("modelmux.ort.spin")));
            env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, LOG_ID, threading);
            global = true;
        } catch (IllegalStateException alreadyCreated) {
            env = OrtEnvironment.getEnvironment();
            global = hasGlobalThreadPools(env);
            if (!global) {
                log.warn("ONNX Runtime's environment was created elsewhere in this JVM without global thread pools; "
                        + "modelmux sessions will each run single-threaded");
            }
        } catch (OrtException e) {
            throw new IllegalStateException("cannot configure ONNX Runtime's thread pools: " + OrtMessages.of(e), e);
        }
        instance = new OrtRuntime(env, global, intraOpThreads);
        instance.prime();
        log.info(
                "ONNX Runtime {}: global thread pools {}, intra-op threads {}, CUDA provider {}",
                env.getVersion(),
                global,
                global ? intraOpThreads : 1,
                instance.cudaAvailable ? "available" : "absent");
        return instance;
    }

    public OrtEnvironment env() {
        return env;
    }

    public boolean globalThreadPools() {
        return globalThreadPools;
    }

    /** Whether the CUDA execution provider is on the classpath (onnxruntime_gpu). */
    public boolean cudaAvailable() {
        return cudaAvailable;
    }

    /**
     * Options for a session on {@code device}. No custom-op library is ever registered: models come
     * from a repository that is not trusted to ship native code.
     */
    OrtSession.SessionOptions sessionOptions(DeviceSpec device) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            configure(options, globalThreadPools);
            if (device.kind() == DeviceKind.CUDA) {
                if (!cudaAvailable) {
                    throw new OrtException("the CUDA execution provider is not available in this build");
                }
                options.addCUDA(device.ordinal());
            }
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    private static void configure(OrtSession.SessionOptions options, boolean global) throws OrtException {
        options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING);
        if (global) {
            options.disablePerSessionThreads();
        } else {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
        }
    }

    /** Creates a throw-away session that needs global pools; only an environment that has them succeeds. */
    private static boolean hasGlobalThreadPools(OrtEnvironment env) {
        byte[] probe = OnnxModelBuilder.identity(DataType.FP32, 1);
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.disablePerSessionThreads();
            try (OrtSession ignored = env.createSession(probe, options)) {
                return true;
            }
        } catch (OrtException e) {
            return false;
        }
    }
}
