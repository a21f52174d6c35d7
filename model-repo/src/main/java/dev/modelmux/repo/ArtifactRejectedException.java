package dev.modelmux.repo;

/** An artifact that the pre-scan refused before ONNX Runtime saw it; the message says why. */
public class ArtifactRejectedException extends Exception {
    private static final long serialVersionUID = 1L;

    public ArtifactRejectedException(String message) {
        super(message);
    }

    public ArtifactRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
