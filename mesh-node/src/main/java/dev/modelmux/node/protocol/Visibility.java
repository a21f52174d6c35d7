package dev.modelmux.node.protocol;

import dev.modelmux.admission.tenant.AuthResult;
import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.repo.ModelNames;
import java.util.function.Predicate;

/**
 * Who may read what the repository holds (index, metadata, configuration, readiness, statistics).
 * Without tenants everyone may, as in Triton. With tenants, the caller needs a tenant key (or the
 * admin token) and sees only the models that tenant may call: the repository's contents, artifact
 * hashes and failure reasons are not for anyone who can reach the port.
 */
final class Visibility {
    private Visibility() {}

    /**
     * The models the caller may see.
     *
     * @throws ServingException UNAUTHENTICATED when tenants are configured and the caller has no valid key
     */
    static Predicate<String> of(ApiContext api, String authorization) {
        TenantPolicy policy = api.tenants().admission().policy();
        if (policy.isOpen() || api.admin().accepts(authorization)) {
            return model -> true;
        }
        if (policy.authenticate(authorization) instanceof AuthResult.Ok ok) {
            return ok.tenant()::allows;
        }
        throw new ServingException(
                ServingException.Code.UNAUTHENTICATED,
                "reading model information needs a tenant key or the admin token: send authorization: Bearer <key>");
    }

    /**
     * Checks that the caller may see {@code model}.
     *
     * @throws ServingException UNAUTHENTICATED without a valid key, PERMISSION_DENIED for a model its tenant may not call
     */
    static void check(ApiContext api, String authorization, String model) {
        if (!of(api, authorization).test(model)) {
            throw new ServingException(
                    ServingException.Code.PERMISSION_DENIED,
                    "this tenant may not use model '" + ModelNames.printable(model) + "'");
        }
    }
}
