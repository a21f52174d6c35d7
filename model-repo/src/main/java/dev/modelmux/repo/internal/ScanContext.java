package dev.modelmux.repo.internal;

import dev.modelmux.repo.ArtifactRejectedException;
import dev.modelmux.repo.ModelNames;
import dev.modelmux.repo.ScanLimits;

/** What one pre-scan carries around: the model name for messages, the limits, running totals. */
final class ScanContext {
    final String model;
    final ScanLimits limits;
    private long nodes;
    private long tensorBytes;

    ScanContext(String model, ScanLimits limits) {
        this.model = model;
        this.limits = limits;
    }

    ArtifactRejectedException reject(String what) {
        return new ArtifactRejectedException("model '" + ModelNames.printable(model) + "': " + what);
    }

    /** Untrusted text from the artifact (tensor, node, graph names), shortened and printable. */
    static String quote(String s) {
        return "'" + ModelNames.printable(s) + "'";
    }

    void countNodes(int n) throws ArtifactRejectedException {
        nodes += n;
        if (nodes > limits.maxNodes()) {
            throw reject("the graph has more than " + limits.maxNodes() + " nodes");
        }
    }

    long nodes() {
        return nodes;
    }

    void addTensorBytes(long bytes) throws ArtifactRejectedException {
        try {
            tensorBytes = Math.addExact(tensorBytes, bytes);
        } catch (ArithmeticException e) {
            throw reject("the tensors' total size overflows");
        }
    }

    long tensorBytes() {
        return tensorBytes;
    }
}
