package dev.modelmux.charts;

import static dev.modelmux.charts.Manifests.at;
import static dev.modelmux.charts.Manifests.list;
import static dev.modelmux.charts.Manifests.map;
import static dev.modelmux.charts.Manifests.named;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/** {@code helm template} of the chart: what the rendered objects hold for each value set. */
class ChartTemplateTest {
    private static final String NAME = "mm-modelmux";
    private static final String HEADLESS = "mm-modelmux-hz";
    private static final String PROPERTIES_PATH = "/etc/modelmux/config/modelmux.properties";

    // ---------------------------------------------------------------- defaults

    @Test
    void defaultsRenderTheMeshAndNothingOptional() {
        Manifests m = HelmChart.template(null, Map.of());

        assertThat(m.all())
                .extracting(o -> o.get("kind") + "/" + at(o, "metadata", "name"))
                .containsExactlyInAnyOrder(
                        "StatefulSet/" + NAME,
                        "Service/" + NAME,
                        "Service/" + HEADLESS,
                        "ConfigMap/" + NAME,
                        "Secret/" + NAME,
                        "ServiceAccount/" + NAME,
                        "PodDisruptionBudget/" + NAME,
                        "NetworkPolicy/" + NAME);
        Map<String, Object> sts = m.get("StatefulSet", NAME);
        assertThat(at(sts, "spec", "replicas")).isEqualTo(3);
        assertThat(at(sts, "spec", "serviceName")).isEqualTo(HEADLESS);
        assertThat(container(sts).get("image")).isEqualTo("modelmux:0.1.0");
        assertThat(container(sts).get("args")).isEqualTo(List.of("serve", "--config", PROPERTIES_PATH));
    }

    @Test
    void probesAndPortsPointAtTheNodesEndpoints() {
        Manifests m = HelmChart.template(null, Map.of());
        Map<String, Object> c = container(m.get("StatefulSet", NAME));

        assertThat(named(c, "name", "grpc", "ports")).containsEntry("containerPort", 8001);
        assertThat(named(c, "name", "http", "ports")).containsEntry("containerPort", 8000);
        assertThat(named(c, "name", "hazelcast", "ports")).containsEntry("containerPort", 5701);
        assertThat(at(c, "readinessProbe", "httpGet")).isEqualTo(Map.of("path", "/v2/health/ready", "port", "http"));
        assertThat(at(c, "livenessProbe", "httpGet")).isEqualTo(Map.of("path", "/v2/health/live", "port", "http"));
        assertThat(at(c, "startupProbe", "httpGet")).isEqualTo(Map.of("path", "/v2/health/live", "port", "http"));

        Map<String, Object> api = m.get("Service", NAME);
        assertThat(named(api, "name", "grpc", "spec", "ports"))
                .containsEntry("port", 8001)
                .containsEntry("targetPort", "grpc");
        assertThat(named(api, "name", "http", "spec", "ports"))
                .containsEntry("port", 8000)
                .containsEntry("targetPort", "http");
        assertThat(map(api, "spec", "selector")).isEqualTo(podLabels(m));
    }

    @Test
    void headlessServicePublishesEveryPodForDnsDiscovery() {
        Manifests m = HelmChart.template(null, Map.of());
        Map<String, Object> headless = m.get("Service", HEADLESS);
        Properties p = properties(m);

        assertThat(at(headless, "spec", "clusterIP")).isEqualTo("None");
        assertThat(at(headless, "spec", "publishNotReadyAddresses")).isEqualTo(true);
        assertThat(map(headless, "spec", "selector")).isEqualTo(podLabels(m));
        assertThat(named(headless, "name", "hazelcast", "spec", "ports"))
                .containsEntry("port", 5701)
                .containsEntry("targetPort", "hazelcast");
        assertThat(p.getProperty("kubernetes-service-dns"))
                .isEqualTo(HEADLESS + "." + HelmChart.NAMESPACE + ".svc.cluster.local");
        assertThat(p).doesNotContainKeys("kubernetes-service-name", "kubernetes-namespace", "peers");
        assertThat(p.getProperty("cluster-port")).isEqualTo("5701");
        // DNS mode needs no Kubernetes API: no token in the pods, no Role.
        assertThat(at(m.get("StatefulSet", NAME), "spec", "template", "spec", "automountServiceAccountToken"))
                .isEqualTo(false);
        assertThat(m.ofKind("Role")).isEmpty();
        assertThat(m.ofKind("RoleBinding")).isEmpty();
    }

    @Test
    void eachNodeIsNamedAfterItsPodAndAdvertisesItsPodIp() {
        Map<String, Object> c = container(HelmChart.template(null, Map.of()).get("StatefulSet", NAME));

        assertThat(at(named(c, "name", "MODELMUX_NODE_ID", "env"), "valueFrom", "fieldRef", "fieldPath"))
                .isEqualTo("metadata.name");
        assertThat(at(named(c, "name", "MODELMUX_ADVERTISE_ADDRESS", "env"), "valueFrom", "fieldRef", "fieldPath"))
                .isEqualTo("status.podIP");
    }

    @Test
    void secretsReachTheNodeFromTheSecretNeverTheConfigMap() {
        Manifests m = HelmChart.template(null, Map.of("auth.adminToken", "admin-token-0123456789"));
        Map<String, Object> c = container(m.get("StatefulSet", NAME));
        Map<String, Object> secret = m.get("Secret", NAME);

        assertThat(at(named(c, "name", "MODELMUX_ADMIN_TOKEN", "env"), "valueFrom", "secretKeyRef"))
                .isEqualTo(Map.of("name", NAME, "key", "admin-token"));
        assertThat(at(named(c, "name", "MODELMUX_CLUSTER_SECRET", "env"), "valueFrom", "secretKeyRef"))
                .isEqualTo(Map.of("name", NAME, "key", "cluster-secret"));
        assertThat(decoded(secret, "admin-token")).isEqualTo("admin-token-0123456789");
        assertThat(decoded(secret, "cluster-secret")).as("generated").hasSizeGreaterThanOrEqualTo(32);
        assertThat(properties(m)).doesNotContainKeys("admin-token", "cluster-secret");
        assertThat(at(m.get("ConfigMap", NAME), "data").toString()).doesNotContain("admin-token-0123456789");
    }

    @Test
    void anExistingSecretReplacesTheChartsOwn() {
        Manifests m =
                HelmChart.template(null, Map.of("auth.existingSecret", "mesh-auth", "auth.adminTokenKey", "token"));
        Map<String, Object> c = container(m.get("StatefulSet", NAME));

        assertThat(m.ofKind("Secret")).isEmpty();
        assertThat(at(named(c, "name", "MODELMUX_ADMIN_TOKEN", "env"), "valueFrom", "secretKeyRef"))
                .isEqualTo(Map.of("name", "mesh-auth", "key", "token"));
        assertThat(at(named(c, "name", "MODELMUX_CLUSTER_SECRET", "env"), "valueFrom", "secretKeyRef", "name"))
                .isEqualTo("mesh-auth");
    }

    @Test
    void anExistingSecretRendersTheSameEveryTimeSoNoRenderRotatesTheSecret() {
        Map<String, Object> sets = Map.of("auth.existingSecret", "mesh-auth");
        Map<String, Object> first = HelmChart.template(null, sets).get("StatefulSet", NAME);
        Map<String, Object> second = HelmChart.template(null, sets).get("StatefulSet", NAME);

        assertThat(map(first, "spec", "template", "metadata", "annotations")).doesNotContainKey("checksum/secret");
        assertThat(second).isEqualTo(first);
        // Why the switch exists: helm template (or a GitOps render) cannot read the installed Secret,
        // so the chart's own is generated anew each time, and its checksum restarts every pod.
        Map<String, Object> generated = HelmChart.template(null, Map.of()).get("Secret", NAME);
        assertThat(decoded(HelmChart.template(null, Map.of()).get("Secret", NAME), "cluster-secret"))
                .isNotEqualTo(decoded(generated, "cluster-secret"));
    }

    // ---------------------------------------------------------------- the cluster network

    @Test
    void theMemberPortListensOnThePodIpOnly() {
        Manifests m = HelmChart.template(null, Map.of());
        Map<String, Object> c = container(m.get("StatefulSet", NAME));

        assertThat(at(named(c, "name", "MODELMUX_CLUSTER_BIND", "env"), "valueFrom", "fieldRef", "fieldPath"))
                .isEqualTo("status.podIP");
        assertThat(properties(m)).doesNotContainKey("cluster-bind");
        assertThat(at(m.get("ConfigMap", NAME), "data").toString()).doesNotContain("0.0.0.0:5701");
    }

    @Test
    void onlyTheHeadlessServiceThatDiscoveryNeedsPublishesPodsBeforeTheyAreReady() {
        Manifests m = HelmChart.template(null, Map.of());

        assertThat(at(m.get("Service", HEADLESS), "spec", "publishNotReadyAddresses"))
                .isEqualTo(true);
        assertThat(list(m.get("Service", HEADLESS), "spec", "ports"))
                .extracting(p -> at(p, "name"))
                .containsExactly("hazelcast");
        assertThat(map(m.get("Service", NAME), "spec")).doesNotContainKey("publishNotReadyAddresses");
        assertThat(list(m.get("Service", NAME), "spec", "ports"))
                .extracting(p -> at(p, "name"))
                .containsExactly("grpc", "http");
    }

    @Test
    void networkPolicyLetsOnlyTheReleasesPodsReachTheMemberPort() {
        Manifests m = HelmChart.template(null, Map.of());
        Map<String, Object> policy = m.get("NetworkPolicy", NAME);
        Map<String, Object> release = Map.of("podSelector", Map.of("matchLabels", podSelector(m)));

        assertThat(map(policy, "spec", "podSelector", "matchLabels")).isEqualTo(podSelector(m));
        assertThat(at(policy, "spec", "policyTypes")).isEqualTo(List.of("Ingress"));
        List<Object> rules = list(policy, "spec", "ingress");
        assertThat(rules).hasSize(2);
        assertThat(at(rules.get(0), "from")).isEqualTo(List.of(release));
        assertThat(at(rules.get(0), "ports")).isEqualTo(List.of(Map.of("port", 5701, "protocol", "TCP")));
        // gRPC and HTTP from anywhere by default: a rule with ports and no peers.
        assertThat(map(rules.get(1))).doesNotContainKey("from");
        assertThat(at(rules.get(1), "ports"))
                .isEqualTo(List.of(Map.of("port", 8001, "protocol", "TCP"), Map.of("port", 8000, "protocol", "TCP")));

        Map<String, Object> narrowed = HelmChart.template(
                        null,
                        Map.of(
                                "networkPolicy.apiFrom[0].ipBlock.cidr",
                                "10.20.0.0/16",
                                "networkPolicy.apiFrom[1].namespaceSelector.matchLabels.team",
                                "apps"))
                .get("NetworkPolicy", NAME);
        List<Object> narrowedRules = list(narrowed, "spec", "ingress");
        assertThat(at(narrowedRules.get(0), "from")).isEqualTo(List.of(release));
        assertThat(at(narrowedRules.get(1), "from"))
                .isEqualTo(List.of(
                        release,
                        Map.of("ipBlock", Map.of("cidr", "10.20.0.0/16")),
                        Map.of("namespaceSelector", Map.of("matchLabels", Map.of("team", "apps")))));

        Map<String, Object> ownMetricsPort = HelmChart.template(null, Map.of("node.config.metrics-port", 9090))
                .get("NetworkPolicy", NAME);
        assertThat(at(list(ownMetricsPort, "spec", "ingress").get(1), "ports"))
                .isEqualTo(List.of(
                        Map.of("port", 8001, "protocol", "TCP"),
                        Map.of("port", 8000, "protocol", "TCP"),
                        Map.of("port", 9090, "protocol", "TCP")));

        assertThat(HelmChart.template(null, Map.of("networkPolicy.enabled", false))
                        .ofKind("NetworkPolicy"))
                .isEmpty();
    }

    @Test
    void terminationGraceCoversThePreStopSleepTheCopiesDrainAndTheRequestsDrain() {
        Manifests m = HelmChart.template(null, Map.of());
        Map<String, Object> pod = map(m.get("StatefulSet", NAME), "spec", "template", "spec");

        assertThat(properties(m).getProperty("shutdown-grace")).isEqualTo("30s");
        assertThat(properties(m).getProperty("drain-timeout")).isEqualTo("20s");
        assertThat(at(container(m.get("StatefulSet", NAME)), "lifecycle", "preStop", "exec", "command"))
                .isEqualTo(List.of("sleep", "5"));
        assertThat(pod.get("terminationGracePeriodSeconds")).isEqualTo(5 + 20 + 30 + 20);

        Manifests longer = HelmChart.template(
                null,
                Map.of("node.shutdownGraceSeconds", 120, "preStopSleepSeconds", 0, "node.drainTimeoutSeconds", 45));
        assertThat(properties(longer).getProperty("shutdown-grace")).isEqualTo("120s");
        assertThat(properties(longer).getProperty("drain-timeout")).isEqualTo("45s");
        assertThat(at(longer.get("StatefulSet", NAME), "spec", "template", "spec", "terminationGracePeriodSeconds"))
                .isEqualTo(45 + 120 + 20);
        assertThat(at(container(longer.get("StatefulSet", NAME)), "lifecycle")).isNull();

        Manifests noDrain = HelmChart.template(null, Map.of("node.drainTimeoutSeconds", 0));
        assertThat(properties(noDrain).getProperty("drain-timeout")).isEqualTo("0s");
        assertThat(at(noDrain.get("StatefulSet", NAME), "spec", "template", "spec", "terminationGracePeriodSeconds"))
                .isEqualTo(5 + 0 + 30 + 20);

        Manifests pinned = HelmChart.template(null, Map.of("terminationGracePeriodSeconds", 90));
        assertThat(at(pinned.get("StatefulSet", NAME), "spec", "template", "spec", "terminationGracePeriodSeconds"))
                .isEqualTo(90);
    }

    @Test
    void podDisruptionBudgetSelectsTheNodes() {
        Manifests m = HelmChart.template(null, Map.of());
        Map<String, Object> pdb = m.get("PodDisruptionBudget", NAME);

        assertThat(at(pdb, "spec", "maxUnavailable")).isEqualTo(1);
        assertThat(map(pdb, "spec", "selector", "matchLabels")).isEqualTo(podLabels(m));
    }

    @Test
    void withoutARepositoryTheNodeServesTheImagesExampleRepository() {
        Manifests m = HelmChart.template(null, Map.of());
        assertThat(properties(m)).doesNotContainKey("repo");

        Manifests uri = HelmChart.template(null, Map.of("repository.uri", "zip:https://models.example.com/r.zip!/"));
        assertThat(properties(uri).getProperty("repo")).isEqualTo("zip:https://models.example.com/r.zip!/");

        Manifests secret = HelmChart.template(
                null, Map.of("repository.uriSecret.name", "models", "repository.uriSecret.key", "uri"));
        assertThat(properties(secret)).doesNotContainKey("repo");
        assertThat(at(
                        named(container(secret.get("StatefulSet", NAME)), "name", "MODELMUX_REPO", "env"),
                        "valueFrom",
                        "secretKeyRef"))
                .isEqualTo(Map.of("name", "models", "key", "uri"));
    }

    @Test
    void anS3RepositoryWithKeysFromASecretServesTheBucketsPrefix() {
        Manifests m = HelmChart.template(HelmChart.values("s3"), Map.of());
        Properties p = properties(m);
        assertThat(p.getProperty("repo")).isEqualTo("s3://models/team-a/");
        assertThat(p.getProperty("s3-endpoint")).isEqualTo("http://minio.storage:9000");
        assertThat(p.getProperty("s3-path-style")).isEqualTo("true");
        assertThat(p.getProperty("s3-cache-size")).isEqualTo("1GiB");
        assertThat(p).doesNotContainKey("s3-region");
        Map<String, Object> c = container(m.get("StatefulSet", NAME));
        assertThat(at(named(c, "name", "AWS_ACCESS_KEY_ID", "env"), "valueFrom", "secretKeyRef"))
                .isEqualTo(Map.of("name", "minio-credentials", "key", "access-key"));
        assertThat(at(named(c, "name", "AWS_SECRET_ACCESS_KEY", "env"), "valueFrom", "secretKeyRef"))
                .isEqualTo(Map.of("name", "minio-credentials", "key", "secret-key"));
        String config = (String) at(m.get("ConfigMap", NAME), "data", "modelmux.properties");
        assertThat(config).doesNotContain("secret-key\n").doesNotContain("AWS_");
        assertThat(at(m.get("ServiceAccount", NAME), "metadata"))
                .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .doesNotContainKey("annotations");
    }

    @Test
    void anS3RepositoryOnAwsAssumesItsRoleThroughTheServiceAccount() {
        Manifests m = HelmChart.template(
                null,
                Map.of(
                        "repository.s3.bucket", "acme-models",
                        "repository.s3.region", "eu-west-1",
                        "repository.s3.roleArn", "arn:aws:iam::123456789012:role/modelmux-models",
                        "serviceAccount.annotations.team", "ml"));
        Properties p = properties(m);
        assertThat(p.getProperty("repo")).isEqualTo("s3://acme-models/");
        assertThat(p.getProperty("s3-region")).isEqualTo("eu-west-1");
        assertThat(p.getProperty("s3-path-style")).isEqualTo("false");
        assertThat(p).doesNotContainKey("s3-endpoint");
        assertThat(map(m.get("ServiceAccount", NAME), "metadata", "annotations"))
                .containsEntry("eks.amazonaws.com/role-arn", "arn:aws:iam::123456789012:role/modelmux-models")
                .containsEntry("team", "ml");
        assertThat(list(container(m.get("StatefulSet", NAME)), "env"))
                .noneMatch(e -> String.valueOf(at(e, "name")).startsWith("AWS_"));
    }

    @Test
    void badS3ValuesFailWithAMessageNamingTheValue() {
        assertFails(
                Map.of("repository.s3.bucket", "b", "repository.uri", "zip:https://h/r.zip!/"),
                "give only one of repository.uri, repository.uriSecret, repository.volume.enabled and repository.s3.bucket");
        assertFails(
                Map.of("repository.s3.endpoint", "http://minio:9000"),
                "repository.s3 settings need repository.s3.bucket");
        assertFails(
                Map.of("repository.s3.bucket", "b", "repository.s3.credentialsSecret.accessKeyIdKey", "k"),
                "repository.s3.credentialsSecret needs name");
        assertFails(
                Map.of(
                        "repository.s3.bucket", "b",
                        "repository.s3.credentialsSecret.name", "keys",
                        "repository.s3.roleArn", "arn:aws:iam::1:role/r"),
                "repository.s3.credentialsSecret or repository.s3.roleArn, not both");
        assertFails(
                Map.of(
                        "repository.s3.bucket", "b",
                        "repository.s3.roleArn", "arn:aws:iam::1:role/r",
                        "serviceAccount.create", false),
                "repository.s3.roleArn annotates the chart's ServiceAccount");
        assertFails(
                Map.of("repository.s3.bucket", "b", "repository.s3.endpoint", "http://user:pw@minio:9000"),
                "repository.s3.endpoint must be http(s)://host[:port]");
        assertFails(Map.of("node.config.s3-endpoint", "http://x:1"), "use repository.s3.endpoint");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "gpu", "api-discovery", "autoscaling", "tls", "s3"})
    void everyKeyTheChartWritesIsOneTheNodeKnows(String valueSet) throws IOException {
        Set<String> known = nodeKeys();
        Manifests m = HelmChart.template(valueSet.isEmpty() ? null : HelmChart.values(valueSet), Map.of());

        assertThat(known).contains("repo", "cluster-port", "kubernetes-service-dns", "kubernetes-service-name");
        assertThat(known).containsAll(properties(m).stringPropertyNames());
        for (Object env : list(container(m.get("StatefulSet", NAME)), "env")) {
            String name = (String) at(env, "name");
            if (name.startsWith("MODELMUX_")) {
                assertThat(known)
                        .contains(name.substring("MODELMUX_".length())
                                .toLowerCase()
                                .replace('_', '-'));
            }
        }
    }

    // ---------------------------------------------------------------- GPU

    @Test
    void gpuValuesRequestAGpuOnGpuNodes() {
        Manifests m = HelmChart.template(HelmChart.values("gpu"), Map.of());
        Map<String, Object> sts = m.get("StatefulSet", NAME);
        Map<String, Object> c = container(sts);
        Map<String, Object> pod = map(sts, "spec", "template", "spec");

        assertThat(map(c, "resources", "limits"))
                .containsEntry("nvidia.com/gpu", 1)
                .containsEntry("memory", "16Gi");
        assertThat(map(c, "resources", "requests")).containsEntry("cpu", "4").doesNotContainKey("nvidia.com/gpu");
        assertThat(map(pod, "nodeSelector")).containsEntry("nvidia.com/gpu.present", "true");
        assertThat(list(pod, "tolerations"))
                .contains(Map.of("key", "nvidia.com/gpu", "operator", "Exists", "effect", "NoSchedule"));
        assertThat(c.get("image")).isEqualTo("modelmux:0.1.0-cuda");
        assertThat(properties(m).getProperty("gpus")).isEqualTo("auto");
        assertThat(properties(m).getProperty("memory-budget")).isEqualTo("8GiB");

        Manifests cpu = HelmChart.template(null, Map.of());
        assertThat(map(container(cpu.get("StatefulSet", NAME)), "resources", "limits"))
                .doesNotContainKey("nvidia.com/gpu");
        assertThat(at(cpu.get("StatefulSet", NAME), "spec", "template", "spec", "tolerations"))
                .isNull();
        assertThat(properties(cpu).getProperty("gpus")).isEqualTo("none");
    }

    // ---------------------------------------------------------------- API-mode discovery

    @Test
    void apiDiscoveryNamesTheServiceAndGrantsOnlyReadsInTheNamespace() {
        Manifests m = HelmChart.template(HelmChart.values("api-discovery"), Map.of());
        Properties p = properties(m);
        Map<String, Object> sts = m.get("StatefulSet", NAME);

        assertThat(p.getProperty("kubernetes-service-name")).isEqualTo(HEADLESS);
        assertThat(p.getProperty("kubernetes-namespace")).isEqualTo(HelmChart.NAMESPACE);
        assertThat(p).doesNotContainKeys("kubernetes-service-dns", "peers");
        assertThat(at(sts, "spec", "replicas")).isEqualTo(4);
        assertThat(at(sts, "spec", "template", "spec", "automountServiceAccountToken"))
                .isEqualTo(true);

        Map<String, Object> role = m.get("Role", NAME);
        assertThat(list(role, "rules"))
                .containsExactlyInAnyOrder(
                        Map.of(
                                "apiGroups",
                                List.of(""),
                                "resources",
                                List.of("endpoints", "pods", "services"),
                                "verbs",
                                List.of("get", "list")),
                        Map.of(
                                "apiGroups",
                                List.of("discovery.k8s.io"),
                                "resources",
                                List.of("endpointslices"),
                                "verbs",
                                List.of("get", "list")));
        Map<String, Object> binding = m.get("RoleBinding", NAME);
        assertThat(map(binding, "roleRef")).containsEntry("kind", "Role").containsEntry("name", NAME);
        String account = (String) at(sts, "spec", "template", "spec", "serviceAccountName");
        assertThat(list(binding, "subjects"))
                .containsExactly(Map.of("kind", "ServiceAccount", "name", account, "namespace", HelmChart.NAMESPACE));
        assertThat(m.get("ServiceAccount", account).get("automountServiceAccountToken"))
                .isEqualTo(true);
        assertThat(m.ofKind("ClusterRole")).isEmpty();
    }

    @Test
    void repositoryVolumeIsMountedReadOnlyAndServed() {
        Manifests m = HelmChart.template(HelmChart.values("api-discovery"), Map.of());
        Map<String, Object> sts = m.get("StatefulSet", NAME);

        assertThat(properties(m).getProperty("repo")).isEqualTo("/models/repo");
        assertThat(named(container(sts), "name", "repository", "volumeMounts"))
                .containsEntry("mountPath", "/models")
                .containsEntry("readOnly", true);
        assertThat(named(sts, "name", "repository", "spec", "template", "spec", "volumes"))
                .containsEntry("persistentVolumeClaim", Map.of("claimName", "modelmux-models", "readOnly", true));
    }

    @Test
    void tenantsFileHoldsKeyHashesAndTheKeysStayInTheirSecret() throws Exception {
        Manifests m = HelmChart.template(HelmChart.values("api-discovery"), Map.of());
        String key = "search-key-0123456789abcdef";
        Map<String, Object> config = map(m.get("ConfigMap", NAME), "data");
        Map<String, Object> tenants = new Yaml(new LoaderOptions()).load((String) config.get("tenants.yaml"));

        assertThat(named(tenants, "id", "search", "tenants"))
                .containsEntry("key_sha256", List.of(sha256(key)))
                .containsEntry("priority", "CRITICAL")
                .containsEntry("models", List.of("minilm*"));
        assertThat(named(tenants, "id", "batch", "tenants"))
                .containsEntry(
                        "key_sha256", List.of("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
        assertThat(config.toString()).doesNotContain(key);
        assertThat(decoded(m.get("Secret", "mm-modelmux-tenant-keys"), "search.0"))
                .isEqualTo(key);
        assertThat(properties(m).getProperty("tenants")).isEqualTo("/etc/modelmux/tenants/tenants.yaml");
        Map<String, Object> sts = m.get("StatefulSet", NAME);
        assertThat(named(container(sts), "name", "tenants", "volumeMounts"))
                .containsEntry("mountPath", "/etc/modelmux/tenants");
        assertThat(at(named(sts, "name", "tenants", "spec", "template", "spec", "volumes"), "configMap", "items"))
                .isEqualTo(List.of(Map.of("key", "tenants.yaml", "path", "tenants.yaml")));
    }

    // ---------------------------------------------------------------- autoscaling

    @Test
    void autoscalingScalesTheStatefulSetOnServingSignals() {
        Manifests m = HelmChart.template(HelmChart.values("autoscaling"), Map.of());
        Map<String, Object> hpa = m.get("HorizontalPodAutoscaler", NAME);

        assertThat(hpa.get("apiVersion")).isEqualTo("autoscaling/v2");
        assertThat(map(hpa, "spec", "scaleTargetRef"))
                .containsExactly(entry("apiVersion", "apps/v1"), entry("kind", "StatefulSet"), entry("name", NAME));
        assertThat(at(hpa, "spec", "minReplicas")).isEqualTo(2);
        assertThat(at(hpa, "spec", "maxReplicas")).isEqualTo(12);
        assertThat(list(hpa, "spec", "metrics"))
                .containsExactly(
                        podsMetric("modelmux_requests_in_flight", "24"),
                        podsMetric("modelmux_device_queue_depth", "4"));
        assertThat(at(hpa, "spec", "behavior", "scaleDown", "stabilizationWindowSeconds"))
                .isEqualTo(300);
        // The HPA owns the replica count.
        assertThat(map(m.get("StatefulSet", NAME), "spec")).doesNotContainKey("replicas");
    }

    @Test
    void serviceMonitorScrapesTheApiServicesMetrics() {
        Manifests m = HelmChart.template(HelmChart.values("autoscaling"), Map.of());
        Map<String, Object> monitor = m.get("ServiceMonitor", NAME);
        Map<String, Object> api = m.get("Service", NAME);

        assertThat(map(monitor, "metadata", "labels")).containsEntry("release", "prometheus");
        assertThat(list(monitor, "spec", "endpoints"))
                .singleElement()
                .satisfies(e -> assertThat(map(e))
                        .containsEntry("port", "http")
                        .containsEntry("path", "/metrics")
                        .containsEntry("interval", "15s"));
        Map<String, Object> selector = map(monitor, "spec", "selector", "matchLabels");
        assertThat(map(api, "metadata", "labels")).containsAllEntriesOf(selector);
        assertThat(map(m.get("Service", HEADLESS), "metadata", "labels"))
                .doesNotContainEntry("app.kubernetes.io/component", "api");
        assertThat(named(api, "name", "http", "spec", "ports")).isNotNull();
    }

    @Test
    void autoscalingValueSetDrainsLongerAndReadsAnArchive() {
        Manifests m = HelmChart.template(HelmChart.values("autoscaling"), Map.of());

        assertThat(properties(m).getProperty("repo")).isEqualTo("zip:https://models.example.com/repo.zip!/");
        assertThat(properties(m).getProperty("shutdown-grace")).isEqualTo("60s");
        assertThat(at(m.get("StatefulSet", NAME), "spec", "template", "spec", "terminationGracePeriodSeconds"))
                .isEqualTo(5 + 20 + 60 + 20);
    }

    @Test
    void autoscalingWithReplicaCountUnsetRenders() {
        Map<String, Object> sets = new LinkedHashMap<>();
        sets.put("autoscaling.enabled", true);
        sets.put("replicaCount", "null");
        Manifests m = HelmChart.template(null, sets);

        assertThat(map(m.get("StatefulSet", NAME), "spec")).doesNotContainKey("replicas");
        assertThat(list(m.get("HorizontalPodAutoscaler", NAME), "spec", "metrics"))
                .containsExactly(
                        podsMetric("modelmux_requests_in_flight", "32"),
                        podsMetric("modelmux_device_queue_depth", "8"));
    }

    @Test
    void notesSayHowToReachTheMeshAndItsToken() {
        String notes = HelmChart.notes(null, Map.of());
        assertThat(notes)
                .contains("3 nodes, discovery: dns")
                .contains("kubectl -n inference port-forward svc/" + NAME + " 8000:8000 8001:8001")
                .contains("get secret " + NAME + " -o jsonpath='{.data.admin-token}'")
                .doesNotContain("custom.metrics");

        String scaled = HelmChart.notes(HelmChart.values("autoscaling"), Map.of());
        assertThat(scaled)
                .contains("2 to 12 nodes (autoscaled)")
                .contains(
                        "/apis/custom.metrics.k8s.io/v1beta1/namespaces/inference/pods/*/modelmux_requests_in_flight");
    }

    // ---------------------------------------------------------------- bad values

    @Test
    void theDataDirIsAClaimPerPodThatOutlivesThePod() {
        Map<String, Object> sts = HelmChart.template(null, Map.of()).get("StatefulSet", NAME);

        assertThat(named(container(sts), "name", "data", "volumeMounts"))
                .containsEntry("mountPath", "/var/lib/modelmux");
        assertThat(list(sts, "spec", "template", "spec", "volumes"))
                .extracting(v -> (Object) ((Map<?, ?>) v).get("name"))
                .doesNotContain("data");
        List<Object> claims = list(sts, "spec", "volumeClaimTemplates");
        assertThat(claims).hasSize(1);
        @SuppressWarnings("unchecked")
        Map<String, Object> claim = (Map<String, Object>) claims.get(0);
        assertThat(at(claim, "metadata", "name")).isEqualTo("data");
        assertThat(map(claim, "metadata", "labels")).isEqualTo(podSelector(HelmChart.template(null, Map.of())));
        assertThat(at(claim, "spec", "accessModes")).isEqualTo(List.of("ReadWriteOnce"));
        assertThat(at(claim, "spec", "resources", "requests", "storage")).isEqualTo("20Gi");
        assertThat(map(claim, "spec")).doesNotContainKey("storageClassName");
    }

    @Test
    void persistenceValuesSetTheClaimsSizeAndClassOrFallBackToAnEmptyDir() {
        Map<String, Object> sized = HelmChart.template(
                        null, Map.of("persistence.size", "100Gi", "persistence.storageClass", "fast-ssd"))
                .get("StatefulSet", NAME);
        assertThat(at(sized, "spec", "volumeClaimTemplates", 0, "spec", "resources", "requests", "storage"))
                .isEqualTo("100Gi");
        assertThat(at(sized, "spec", "volumeClaimTemplates", 0, "spec", "storageClassName"))
                .isEqualTo("fast-ssd");
        Map<String, Object> none = HelmChart.template(null, Map.of("persistence.storageClass", "-"))
                .get("StatefulSet", NAME);
        assertThat(at(none, "spec", "volumeClaimTemplates", 0, "spec", "storageClassName"))
                .isEqualTo("");

        Map<String, Object> ephemeral =
                HelmChart.template(null, Map.of("persistence.enabled", false)).get("StatefulSet", NAME);
        assertThat(map(ephemeral, "spec")).doesNotContainKey("volumeClaimTemplates");
        assertThat(named(ephemeral, "name", "data", "spec", "template", "spec", "volumes"))
                .containsEntry("emptyDir", Map.of());
    }

    @Test
    void badValuesFailWithAMessageNamingTheValue() {
        assertFails(Map.of("discovery.mode", "both"), "discovery.mode must be dns or api, was \"both\"");
        assertFails(
                Map.of("discovery.mode", "api", "node.config.kubernetes-service-dns", "x.svc"),
                "node.config.kubernetes-service-dns is set by the chart; use discovery.mode (dns or api, not both)");
        assertFails(Map.of("node.config.peers", "10.0.0.2:5701"), "node.config.peers is set by the chart");
        assertFails(
                Map.of("node.config.admin-token", "admin-token-0123456789"),
                "use auth.adminToken or auth.existingSecret");
        assertFails(
                Map.of("terminationGracePeriodSeconds", 40),
                "terminationGracePeriodSeconds (40) must cover preStopSleepSeconds + node.drainTimeoutSeconds + node.shutdownGraceSeconds (55)");
        assertFails(Map.of("node.drainTimeoutSeconds", -1), "node.drainTimeoutSeconds must be >= 0");
        assertFails(Map.of("node.config.drain-timeout", "5s"), "node.config.drain-timeout is set by the chart");
        assertFails(
                Map.of("autoscaling.enabled", true, "autoscaling.targetInFlight", 0, "autoscaling.targetQueueDepth", 0),
                "autoscaling.enabled needs a target");
        assertFails(
                Map.of("autoscaling.enabled", true, "autoscaling.minReplicas", 5, "autoscaling.maxReplicas", 3),
                "minReplicas (5) <= maxReplicas (3)");
        assertFails(
                Map.of(
                        "repository.uri",
                        "zip:https://h/r.zip!/",
                        "repository.volume.enabled",
                        true,
                        "repository.volume.source.persistentVolumeClaim.claimName",
                        "models"),
                "give only one of repository.uri");
        assertFails(
                Map.of("repository.volume.enabled", true), "repository.volume.enabled needs repository.volume.source");
        assertFails(Map.of("auth.adminToken", "short"), "auth.adminToken must be at least 16 characters");
        assertFails(
                Map.of("auth.clusterSecret", "0123456789abcdef0123"),
                "auth.clusterSecret must be at least 32 random characters, e.g. the output of `openssl rand -base64 32`");
        assertFails(Map.of("networkPolicy.apiFrom", "10.0.0.0/8"), "networkPolicy.apiFrom must be a list");
        assertFails(Map.of("tenants.keys.ghost[0]", "k"), "tenants.keys.ghost names no tenant of tenants.policy");
        assertFails(Map.of("podDisruptionBudget.minAvailable", 2), "minAvailable or maxUnavailable, not both");
        assertFails(Map.of("podAntiAffinity", "sometimes"), "podAntiAffinity must be soft, hard or none");
        assertFails(Map.of("persistence.size", ""), "persistence.enabled needs persistence.size");
    }

    private static void assertFails(Map<String, Object> sets, String message) {
        assertThatThrownBy(() -> HelmChart.template(null, sets))
                .as("values %s", sets)
                .hasMessageContaining(message);
    }

    // ---------------------------------------------------------------- helpers

    private static Map<String, Object> container(Map<String, Object> sts) {
        return named(sts, "name", "modelmux", "spec", "template", "spec", "containers");
    }

    private static Map<String, Object> podSelector(Manifests m) {
        return map(m.get("StatefulSet", NAME), "spec", "selector", "matchLabels");
    }

    private static Map<String, Object> podLabels(Manifests m) {
        return map(m.get("StatefulSet", NAME), "spec", "template", "metadata", "labels");
    }

    private static Map<String, Object> podsMetric(String name, String average) {
        return Map.of(
                "type",
                "Pods",
                "pods",
                Map.of(
                        "metric",
                        Map.of("name", name),
                        "target",
                        Map.of("type", "AverageValue", "averageValue", average)));
    }

    /** The properties file the nodes read with --config, checked to be where the args point. */
    private static Properties properties(Manifests m) {
        Map<String, Object> sts = m.get("StatefulSet", NAME);
        Map<String, Object> mount = named(container(sts), "name", "config", "volumeMounts");
        assertThat(PROPERTIES_PATH).startsWith(mount.get("mountPath") + "/");
        Properties p = new Properties();
        try {
            p.load(new StringReader((String) at(m.get("ConfigMap", NAME), "data", "modelmux.properties")));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return p;
    }

    private static String decoded(Map<String, Object> secret, String key) {
        return new String(Base64.getDecoder().decode((String) at(secret, "data", key)), StandardCharsets.UTF_8);
    }

    private static String sha256(String s) throws Exception {
        return HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    /** The node's settings, read from the one place they are defined (mesh-node's ConfigLoader). */
    private static Set<String> nodeKeys() throws IOException {
        String source = Files.readString(
                Path.of("..", "mesh-node", "src", "main", "java", "dev", "modelmux", "node", "ConfigLoader.java"));
        Matcher k = Pattern.compile("k\\.put\\(\\s*\"([a-z0-9-]+)\"").matcher(source);
        return k.results().map(r -> r.group(1)).collect(Collectors.toSet());
    }
}
