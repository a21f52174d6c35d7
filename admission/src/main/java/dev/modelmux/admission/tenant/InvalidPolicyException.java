package dev.modelmux.admission.tenant;

/** A tenant policy that cannot be loaded; the message names the tenant and key at fault. */
public final class InvalidPolicyException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidPolicyException(String message) {
        super(message);
    }
}
