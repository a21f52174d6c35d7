{{/* Names, labels and the values checks shared by the templates. */}}

{{- define "modelmux.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <release>-<chart>, or the release name when it already contains the chart name. */}}
{{- define "modelmux.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "modelmux.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "modelmux.selectorLabels" -}}
app.kubernetes.io/name: {{ include "modelmux.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "modelmux.labels" -}}
helm.sh/chart: {{ include "modelmux.chart" . }}
{{ include "modelmux.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: modelmux
{{- end }}

{{/* The headless Service the members find each other through (and the StatefulSet's serviceName). */}}
{{- define "modelmux.headlessName" -}}
{{- printf "%s-hz" (include "modelmux.fullname" . | trunc 60 | trimSuffix "-") }}
{{- end }}

{{- define "modelmux.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "modelmux.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding the admin token and the cluster secret. */}}
{{- define "modelmux.secretName" -}}
{{- default (include "modelmux.fullname" .) .Values.auth.existingSecret }}
{{- end }}

{{- define "modelmux.tenantKeysSecretName" -}}
{{- printf "%s-tenant-keys" (include "modelmux.fullname" . | trunc 51 | trimSuffix "-") }}
{{- end }}

{{- define "modelmux.image" -}}
{{- $img := .Values.image }}
{{- if .Values.gpu.enabled }}
{{- $img = merge (dict) (.Values.gpu.image | default dict) .Values.image }}
{{- end }}
{{- printf "%s:%s" $img.repository (toString ($img.tag | default .Chart.AppVersion)) }}
{{- end }}

{{- define "modelmux.hasTenants" -}}
{{- if or .Values.tenants.policy .Values.tenants.existingSecret }}true{{ end }}
{{- end }}

{{/* Where the repository comes from in the properties file; empty: the example repository (or MODELMUX_REPO from uriSecret). */}}
{{- define "modelmux.repo" -}}
{{- $s3 := .Values.repository.s3 | default dict }}
{{- if $s3.bucket }}
{{- $prefix := trimAll "/" ($s3.prefix | default "") }}
{{- if $prefix }}{{ printf "s3://%s/%s/" $s3.bucket $prefix }}{{ else }}{{ printf "s3://%s/" $s3.bucket }}{{ end }}
{{- else if .Values.repository.uri }}
{{- .Values.repository.uri }}
{{- else if .Values.repository.volume.enabled }}
{{- $sub := trimAll "/" (.Values.repository.volume.subPath | default "") }}
{{- if $sub }}{{ printf "%s/%s" (trimSuffix "/" .Values.repository.volume.mountPath) $sub }}{{ else }}{{ .Values.repository.volume.mountPath }}{{ end }}
{{- end }}
{{- end }}

{{/* The preStop sleep + the node's drain of its copies + its drain of in-flight requests, which the termination grace period must cover. */}}
{{- define "modelmux.drainSeconds" -}}
{{- add (int .Values.preStopSleepSeconds) (int .Values.node.drainTimeoutSeconds) (int .Values.node.shutdownGraceSeconds) }}
{{- end }}

{{- define "modelmux.terminationGracePeriodSeconds" -}}
{{- if kindIs "string" .Values.terminationGracePeriodSeconds }}
{{- if .Values.terminationGracePeriodSeconds }}{{ int .Values.terminationGracePeriodSeconds }}{{ else }}{{ add (include "modelmux.drainSeconds" . | int) 20 }}{{ end }}
{{- else }}
{{- int .Values.terminationGracePeriodSeconds }}
{{- end }}
{{- end }}

{{/* The tenants file: the policy, with the SHA-256 of every key in tenants.keys added to its tenant. */}}
{{- define "modelmux.tenantsFile" -}}
{{- $policy := deepCopy .Values.tenants.policy }}
{{- $tenants := list }}
{{- range $t := (get $policy "tenants" | default list) }}
{{- $t = deepCopy $t }}
{{- $hashes := get $t "key_sha256" | default list }}
{{- range $key := (get $.Values.tenants.keys (toString $t.id) | default list) }}
{{- $hashes = append $hashes (sha256sum (toString $key)) }}
{{- end }}
{{- if $hashes }}{{ $_ := set $t "key_sha256" $hashes }}{{ end }}
{{- $tenants = append $tenants $t }}
{{- end }}
{{- $_ := set $policy "tenants" $tenants }}
{{- toYaml $policy }}
{{- end }}

{{/* Node keys the chart sets itself, and the value to use instead of node.config. */}}
{{- define "modelmux.ownedKeys" -}}
config: "the chart's ConfigMap"
repo: "repository.uri, repository.uriSecret, repository.volume or repository.s3"
s3-endpoint: "repository.s3.endpoint"
s3-region: "repository.s3.region"
s3-path-style: "repository.s3.pathStyle"
s3-cache-size: "repository.s3.cacheSize"
host: "nothing (the node binds 0.0.0.0 in a pod)"
grpc-port: "node.grpcPort"
http-port: "node.httpPort"
cluster-port: "node.clusterPort"
cluster-bind: "nothing (the member binds its pod IP)"
peers: "discovery.mode (the members are found through the headless Service, not listed)"
kubernetes-service-dns: "discovery.mode (dns or api, not both)"
kubernetes-service-name: "discovery.mode (dns or api, not both)"
kubernetes-namespace: "discovery.mode (dns or api, not both)"
node-id: "nothing (each node is named after its pod)"
advertise-address: "nothing (each node advertises its pod IP)"
admin-token: "auth.adminToken or auth.existingSecret"
cluster-secret: "auth.clusterSecret or auth.existingSecret"
data-dir: "nothing (an emptyDir at /var/lib/modelmux)"
tenants: "tenants.policy or tenants.existingSecret"
gpus: "gpu.enabled"
memory-budget: "node.memoryBudget"
devices: "node.devices"
model-control: "node.modelControl"
poll-interval: "node.pollInterval"
max-message-size: "node.maxMessageSize"
infer-threads: "node.inferThreads"
intra-op-threads: "node.intraOpThreads"
shutdown-grace: "node.shutdownGraceSeconds"
drain-timeout: "node.drainTimeoutSeconds"
tls-cert: "tls.enabled and tls.secretName"
tls-key: "tls.enabled and tls.secretName"
tls-client-ca: "tls.clientAuth"
tls-reload-interval: "tls.reloadInterval"
{{- end }}

{{/* Fails the render with a message naming the value when values do not make sense together. */}}
{{- define "modelmux.validate" -}}
{{- $v := .Values }}
{{- if not (has $v.discovery.mode (list "dns" "api")) }}
{{- fail (printf "modelmux: discovery.mode must be dns or api, was %q" (toString $v.discovery.mode)) }}
{{- end }}
{{- $owned := include "modelmux.ownedKeys" . | fromYaml }}
{{- range $key, $_ := $v.node.config }}
{{- if hasKey $owned $key }}
{{- fail (printf "modelmux: node.config.%s is set by the chart; use %s" $key (get $owned $key)) }}
{{- end }}
{{- end }}
{{- if and $v.tls.enabled (not $v.tls.secretName) }}
{{- fail "modelmux: tls.enabled needs tls.secretName (a kubernetes.io/tls Secret with tls.crt and tls.key)" }}
{{- end }}
{{- if and $v.tls.clientAuth (not $v.tls.enabled) }}
{{- fail "modelmux: tls.clientAuth needs tls.enabled" }}
{{- end }}
{{- $sources := 0 }}
{{- if $v.repository.uri }}{{ $sources = add1 $sources }}{{ end }}
{{- if $v.repository.uriSecret }}{{ $sources = add1 $sources }}{{ end }}
{{- if $v.repository.volume.enabled }}{{ $sources = add1 $sources }}{{ end }}
{{- $s3 := $v.repository.s3 | default dict }}
{{- if $s3.bucket }}{{ $sources = add1 $sources }}{{ end }}
{{- if gt $sources 1 }}
{{- fail "modelmux: give only one of repository.uri, repository.uriSecret, repository.volume.enabled and repository.s3.bucket" }}
{{- end }}
{{- if and (not $s3.bucket) (or $s3.endpoint $s3.region $s3.credentialsSecret $s3.roleArn $s3.prefix) }}
{{- fail "modelmux: repository.s3 settings need repository.s3.bucket" }}
{{- end }}
{{- if and $s3.credentialsSecret (not $s3.credentialsSecret.name) }}
{{- fail "modelmux: repository.s3.credentialsSecret needs name (and optionally accessKeyIdKey, secretAccessKeyKey)" }}
{{- end }}
{{- if and $s3.credentialsSecret $s3.roleArn }}
{{- fail "modelmux: give repository.s3.credentialsSecret or repository.s3.roleArn, not both (static keys would win over the role)" }}
{{- end }}
{{- if and $s3.roleArn (not $v.serviceAccount.create) }}
{{- fail "modelmux: repository.s3.roleArn annotates the chart's ServiceAccount: it needs serviceAccount.create (or annotate your own account with eks.amazonaws.com/role-arn)" }}
{{- end }}
{{- if and $s3.endpoint (not (regexMatch "^https?://[^/@?#]+/?$" (toString $s3.endpoint))) }}
{{- fail (printf "modelmux: repository.s3.endpoint must be http(s)://host[:port], was %q" (toString $s3.endpoint)) }}
{{- end }}
{{- if and $v.repository.uriSecret (not (and $v.repository.uriSecret.name $v.repository.uriSecret.key)) }}
{{- fail "modelmux: repository.uriSecret needs name and key" }}
{{- end }}
{{- if and $v.repository.volume.enabled (not $v.repository.volume.source) }}
{{- fail "modelmux: repository.volume.enabled needs repository.volume.source (e.g. {persistentVolumeClaim: {claimName: models}})" }}
{{- end }}
{{- if and $v.auth.adminToken (lt (len (toString $v.auth.adminToken)) 16) }}
{{- fail "modelmux: auth.adminToken must be at least 16 characters" }}
{{- end }}
{{- if and $v.auth.clusterSecret (lt (len (toString $v.auth.clusterSecret)) 32) }}
{{- fail "modelmux: auth.clusterSecret must be at least 32 random characters, e.g. the output of `openssl rand -base64 32`" }}
{{- end }}
{{- if and $v.tenants.existingSecret (or $v.tenants.policy $v.tenants.keys) }}
{{- fail "modelmux: tenants.existingSecret replaces tenants.policy and tenants.keys; give one or the other" }}
{{- end }}
{{- $ids := list }}
{{- range $t := (get ($v.tenants.policy | default dict) "tenants" | default list) }}
{{- if not $t.id }}{{ fail "modelmux: every tenant in tenants.policy.tenants needs an id" }}{{ end }}
{{- $ids = append $ids (toString $t.id) }}
{{- end }}
{{- range $id, $keys := $v.tenants.keys }}
{{- if not (has $id $ids) }}
{{- fail (printf "modelmux: tenants.keys.%s names no tenant of tenants.policy" $id) }}
{{- end }}
{{- if not (kindIs "slice" $keys) }}
{{- fail (printf "modelmux: tenants.keys.%s must be a list of keys" $id) }}
{{- end }}
{{- end }}
{{- if lt (int $v.node.shutdownGraceSeconds) 0 }}
{{- fail "modelmux: node.shutdownGraceSeconds must be >= 0" }}
{{- end }}
{{- if lt (int $v.node.drainTimeoutSeconds) 0 }}
{{- fail "modelmux: node.drainTimeoutSeconds must be >= 0" }}
{{- end }}
{{- if lt (int $v.preStopSleepSeconds) 0 }}
{{- fail "modelmux: preStopSleepSeconds must be >= 0" }}
{{- end }}
{{- $grace := include "modelmux.terminationGracePeriodSeconds" . | int }}
{{- $drain := include "modelmux.drainSeconds" . | int }}
{{- if lt $grace $drain }}
{{- fail (printf "modelmux: terminationGracePeriodSeconds (%d) must cover preStopSleepSeconds + node.drainTimeoutSeconds + node.shutdownGraceSeconds (%d) so the pod's copies can move and in-flight requests finish" $grace $drain) }}
{{- end }}
{{- if $v.autoscaling.enabled }}
{{- if not (or (gt (float64 $v.autoscaling.targetInFlight) 0.0) (gt (float64 $v.autoscaling.targetQueueDepth) 0.0) (gt (int $v.autoscaling.targetCPUUtilization) 0)) }}
{{- fail "modelmux: autoscaling.enabled needs a target: targetInFlight, targetQueueDepth or targetCPUUtilization" }}
{{- end }}
{{- if or (lt (int $v.autoscaling.minReplicas) 1) (lt (int $v.autoscaling.maxReplicas) (int $v.autoscaling.minReplicas)) }}
{{- fail (printf "modelmux: autoscaling needs 1 <= minReplicas (%d) <= maxReplicas (%d)" (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) }}
{{- end }}
{{- end }}
{{- if and $v.podDisruptionBudget.enabled $v.podDisruptionBudget.minAvailable $v.podDisruptionBudget.maxUnavailable }}
{{- fail "modelmux: podDisruptionBudget takes minAvailable or maxUnavailable, not both (set the other to \"\")" }}
{{- end }}
{{- if not (has $v.podAntiAffinity (list "soft" "hard" "none")) }}
{{- fail (printf "modelmux: podAntiAffinity must be soft, hard or none, was %q" (toString $v.podAntiAffinity)) }}
{{- end }}
{{- if $v.persistence.enabled }}
{{- if not $v.persistence.size }}
{{- fail "modelmux: persistence.enabled needs persistence.size, e.g. 20Gi (the prediction and label logs live there)" }}
{{- end }}
{{- if not (kindIs "slice" $v.persistence.accessModes) }}
{{- fail "modelmux: persistence.accessModes must be a list, e.g. [ReadWriteOnce]" }}
{{- end }}
{{- end }}
{{- if not (kindIs "slice" ($v.networkPolicy.apiFrom | default list)) }}
{{- fail "modelmux: networkPolicy.apiFrom must be a list of NetworkPolicy peers (podSelector, namespaceSelector, ipBlock)" }}
{{- end }}
{{- if and $v.gpu.enabled (lt (int $v.gpu.count) 1) }}
{{- fail "modelmux: gpu.count must be >= 1 when gpu.enabled" }}
{{- end }}
{{- end }}
