package dev.modelmux.node.endpoints;

/** An endpoint definition that cannot be used; the message names the endpoint and the field at fault. */
public final class InvalidEndpointException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidEndpointException(String message) {
        super(message);
    }
}
