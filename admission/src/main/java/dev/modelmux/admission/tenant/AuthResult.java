package dev.modelmux.admission.tenant;

/** The outcome of {@link TenantPolicy#authenticate(String)}. Never carries the presented key. */
public sealed interface AuthResult permits AuthResult.Ok, AuthResult.Missing, AuthResult.Malformed, AuthResult.Unknown {

    /** The key belongs to {@code tenant} (or the policy is open and needs no key). */
    record Ok(Tenant tenant) implements AuthResult {}

    /** No authorization was sent. */
    record Missing() implements AuthResult {}

    /** Authorization was sent but is not {@code Bearer <key>}. */
    record Malformed() implements AuthResult {}

    /** A well-formed key that belongs to no tenant. */
    record Unknown() implements AuthResult {}
}
