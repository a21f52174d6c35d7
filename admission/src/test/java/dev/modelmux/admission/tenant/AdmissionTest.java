package dev.modelmux.admission.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.admission.tenant.AdmissionDecision.Admitted;
import dev.modelmux.admission.tenant.AdmissionDecision.Code;
import dev.modelmux.admission.tenant.AdmissionDecision.Rejected;
import dev.modelmux.admission.tenant.TenantStats.Reason;
import org.junit.jupiter.api.Test;

class AdmissionTest {
    static final long S = 1_000_000_000L;
    long now = 42;
    final Admission adm = Admission.create(TenantPolicyLoader.parse(TenantPolicyLoaderTest.YAML), now);

    Rejected rejected(AdmissionDecision d, Code code) {
        assertThat(d).isInstanceOf(Rejected.class);
        Rejected r = (Rejected) d;
        assertThat(r.code()).isEqualTo(code);
        assertThat(r.message()).doesNotContain("k-acme").doesNotContain("k-beta");
        return r;
    }

    @Test
    void authMatrix() {
        rejected(adm.admit(null, "resnet-50", 1, now), Code.UNAUTHENTICATED);
        rejected(adm.admit("Basic k-acme", "resnet-50", 1, now), Code.UNAUTHENTICATED);
        rejected(adm.admit("Bearer k-wrong", "resnet-50", 1, now), Code.UNAUTHENTICATED);
        rejected(adm.admit("Bearer k-acme", "bert", 1, now), Code.PERMISSION_DENIED);
        assertThat(adm.admit("Bearer k-acme", "resnet-50", 1, now)).isInstanceOf(Admitted.class);
        assertThat(adm.admit("Bearer k-beta", "bert", 1, now)).isInstanceOf(Admitted.class);
        assertThat(adm.unauthenticatedRejections()).isEqualTo(3);
        assertThat(adm.snapshot().get("acme").rejected().get(Reason.MODEL_NOT_ALLOWED))
                .isEqualTo(1);
    }

    @Test
    void inFlightReleasedExactlyOnce() {
        Admitted a = (Admitted) adm.admit("Bearer k-acme", "resnet-1", 1, now);
        Rejected r = rejected(adm.admit("Bearer k-acme", "resnet-1", 1, now), Code.RESOURCE_EXHAUSTED);
        assertThat(r.retryAfterNanos()).isEqualTo(Admission.IN_FLIGHT_RETRY_AFTER_NANOS);
        assertThat(adm.snapshot().get("acme").inFlight()).isEqualTo(1);
        a.ticket().close();
        a.ticket().close();
        assertThat(adm.snapshot().get("acme").inFlight()).isZero();
        // a rejected-for-in-flight request did not spend a token: burst 2 → second admit succeeds
        Admitted b = (Admitted) adm.admit("Bearer k-acme", "resnet-1", 1, now);
        b.ticket().close();
        TenantStats s = adm.snapshot().get("acme");
        assertThat(s.admitted()).isEqualTo(2);
        assertThat(s.rejected().get(Reason.IN_FLIGHT)).isEqualTo(1);
    }

    @Test
    void rateExhaustionAndRecovery() {
        for (int i = 0; i < 2; i++) {
            ((Admitted) adm.admit("Bearer k-acme", "resnet-1", 1, now)).ticket().close();
        }
        Rejected r = rejected(adm.admit("Bearer k-acme", "resnet-1", 1, now), Code.RESOURCE_EXHAUSTED);
        assertThat(r.retryAfterNanos()).isEqualTo(S / 10);
        assertThat(adm.snapshot().get("acme").inFlight()).isZero();
        assertThat(adm.admit("Bearer k-acme", "resnet-1", 1, now + r.retryAfterNanos()))
                .isInstanceOf(Admitted.class);
        assertThat(adm.snapshot().get("acme").rejected().get(Reason.RATE)).isEqualTo(1);
    }

    @Test
    void requestBytes() {
        Rejected r = rejected(adm.admit("Bearer k-acme", "resnet-1", 101, now), Code.RESOURCE_EXHAUSTED);
        assertThat(r.message()).contains("max_request_bytes of 100");
        assertThat(adm.admit("Bearer k-acme", "resnet-1", 100, now)).isInstanceOf(Admitted.class);
    }

    @Test
    void defaultPolicyNeedsNoKey() {
        Admission open = Admission.create(TenantPolicy.defaultPolicy(), now);
        for (int i = 0; i < 100; i++) {
            assertThat(open.admit(null, "anything", 1 << 20, now)).isInstanceOf(Admitted.class);
        }
    }

    @Test
    void updateKeepsInFlightOfSurvivingTenants() {
        Admitted a = (Admitted) adm.admit("Bearer k-acme", "resnet-1", 1, now);
        adm.update(TenantPolicyLoader.parse(TenantPolicyLoaderTest.YAML.replace("version: 7", "version: 8")), now);
        assertThat(adm.policy().version()).isEqualTo(8);
        assertThat(adm.snapshot().get("acme").inFlight()).isEqualTo(1);
        rejected(adm.admit("Bearer k-acme", "resnet-1", 1, now), Code.RESOURCE_EXHAUSTED);
        a.ticket().close();
        assertThat(adm.snapshot().get("acme").inFlight()).isZero();
    }

    @Test
    void nodeCountSplitsRate() {
        // acme: rate 10, burst 2; on 2 nodes: 5/s, burst 1
        adm.setNodeCount(2, now);
        ((Admitted) adm.admit("Bearer k-acme", "resnet-1", 1, now)).ticket().close();
        Rejected r = rejected(adm.admit("Bearer k-acme", "resnet-1", 1, now), Code.RESOURCE_EXHAUSTED);
        assertThat(r.retryAfterNanos()).isEqualTo(S / 5);
    }
}
