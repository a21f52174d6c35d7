package dev.modelmux.node;

import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.admission.tenant.TenantPolicyLoader;
import dev.modelmux.gpu.CudaDevices;
import dev.modelmux.gpu.DeviceSpec;
import dev.modelmux.node.security.TlsMaterial;
import dev.modelmux.repo.ModelRepository;
import dev.modelmux.repo.RepositoryException;
import dev.modelmux.repo.RepositoryOptions;
import dev.modelmux.repo.S3Options;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node needs before it joins the mesh, read from its configuration with blocking I/O: the
 * repository, the admin token, the devices, the tenant policy and the TLS material.
 */
record NodeBootstrap(
        ModelRepository repo,
        String adminToken,
        boolean adminTokenGenerated,
        List<DeviceSpec> devices,
        TenantPolicy tenantPolicy,
        Optional<TlsMaterial> tls) {
    private static final Logger LOG = LoggerFactory.getLogger(NodeBootstrap.class);

    NodeBootstrap {
        devices = List.copyOf(devices);
    }

    /** Blocking; fails with a message naming the key or file that is wrong. */
    static NodeBootstrap prepare(Vertx vertx, NodeConfig config, Function<Path, String> tokenGenerator)
            throws RepositoryException {
        // TLS first: a bad certificate fails the start before anything is opened.
        Optional<TlsMaterial> tls = config.serving().tls().map(t -> TlsMaterial.read(vertx, t));
        tls.ifPresent(m -> LOG.info(
                "TLS: certificate {} (serial {}){}",
                m.certificate().getSubjectX500Principal(),
                m.serial().toString(16),
                m.mutual() ? ", client certificates required" : ""));
        S3Options s3 = config.s3().cacheDir().isPresent()
                ? config.s3()
                : config.s3().withCacheDir(config.dataDir().resolve("s3-cache"));
        ModelRepository repo = ModelRepository.open(config.repository(), RepositoryOptions.defaults(), s3);
        boolean generated = config.adminToken().isEmpty();
        String token = config.adminToken().orElseGet(() -> tokenGenerator.apply(config.dataDir()));
        TenantPolicy policy;
        if (config.tenants().isPresent()) {
            try {
                policy = TenantPolicyLoader.load(config.tenants().get());
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        "tenants: cannot read " + config.tenants().get() + ": " + e.getMessage());
            }
            LOG.info(
                    "tenants: {} from {}",
                    policy.tenants().size(),
                    config.tenants().get());
        } else {
            policy = TenantPolicy.defaultPolicy();
            LOG.info(
                    "tenants: none configured (--tenants); every request runs as tenant 'default', which needs no key");
        }
        List<DeviceSpec> devices = new ArrayList<>(config.devices());
        if (config.detectGpus()) {
            devices.addAll(CudaDevices.detect()); // empty without the CUDA provider; runs nvidia-smi otherwise
        }
        return new NodeBootstrap(repo, token, generated, devices, policy, tls);
    }
}
