package dev.modelmux.repo;

/** A config.pbtxt that does not parse or does not validate; the message names the model, the file and the line. */
public class ModelConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ModelConfigException(String message) {
        super(message);
    }

    public ModelConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
