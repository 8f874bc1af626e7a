{{/* Names ---------------------------------------------------------------- */}}

{{- define "bibind.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "bibind.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A resource name with a suffix, kept within 63 characters. */}}
{{- define "bibind.suffixed" -}}
{{- $base := include "bibind.fullname" .root -}}
{{- printf "%s-%s" ($base | trunc (int (sub 62 (len .suffix)))) .suffix | trimSuffix "-" -}}
{{- end -}}

{{- define "bibind.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selects every pod of this release of the chart (portal and migration). */}}
{{- define "bibind.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bibind.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selects the portal's pods only. */}}
{{- define "bibind.portalSelectorLabels" -}}
{{ include "bibind.selectorLabels" . }}
app.kubernetes.io/component: portal
{{- end -}}

{{- define "bibind.labels" -}}
helm.sh/chart: {{ include "bibind.chart" . }}
{{ include "bibind.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: bibind
{{- end -}}

{{- define "bibind.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "bibind.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "bibind.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "bibind.secretName" -}}
{{- default (include "bibind.fullname" .) .Values.secret.existingSecret -}}
{{- end -}}

{{/*
The name a dependency chart gives its resources (the usual fullname rule of
the ory, openbao and bitnami charts). Arguments: root, chart (its name),
values (its values).
*/}}
{{- define "bibind.dependencyFullname" -}}
{{- $values := .values | default dict -}}
{{- if $values.fullnameOverride -}}
{{- $values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .chart $values.nameOverride -}}
{{- if contains $name .root.Release.Name -}}
{{- .root.Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .root.Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Configuration ---------------------------------------------------------- */}}

{{/*
The effective configuration as YAML: .Values.config, the chart's own keys
and the dependencies' addresses; checked. Rendered to TOML by
"bibind.configToml".
*/}}
{{- define "bibind.effectiveConfig" -}}
{{- $ns := .Release.Namespace -}}
{{- $cfg := deepCopy (.Values.config | default dict) -}}
{{- range $section := list "server" "database" "kratos" "hydra" "vault" "oidc" "mqtt" "smtp" "provisioning" -}}
{{- if not (kindIs "map" (get $cfg $section)) -}}
{{- $_ := set $cfg $section dict -}}
{{- end -}}
{{- end -}}
{{- /* No secret in the ConfigMap. */ -}}
{{- $secretKeys := dict
      "database.url" (dig "database" "url" "" $cfg)
      "oidc.client_secret" (dig "oidc" "client_secret" "" $cfg)
      "provisioning.vault_token" (dig "provisioning" "vault_token" "" $cfg)
      "provisioning.odoo.master_password" (dig "provisioning" "odoo" "master_password" "" $cfg)
      "provisioning.awx.token" (dig "provisioning" "awx" "token" "" $cfg)
      "provisioning.gitlab.token" (dig "provisioning" "gitlab" "token" "" $cfg)
      "provisioning.openstack.password" (dig "provisioning" "openstack" "password" "" $cfg)
      "provisioning.mqtt.admin_password" (dig "provisioning" "mqtt" "admin_password" "" $cfg)
      "provisioning.backups.primary.secret_key" (dig "provisioning" "backups" "primary" "secret_key" "" $cfg)
      "provisioning.backups.offsite.secret_key" (dig "provisioning" "backups" "offsite" "secret_key" "" $cfg) -}}
{{- range $key, $value := $secretKeys -}}
{{- if $value -}}
{{- fail (printf "config.%s is a secret: give it in `secret` (or secret.existingSecret), never in config" $key) -}}
{{- end -}}
{{- end -}}
{{- /* [server]: the listeners are the chart's. */ -}}
{{- $server := get $cfg "server" -}}
{{- $_ := set $server "listen" (printf "0.0.0.0:%d" (int .Values.ports.http)) -}}
{{- $_ := set $server "operations_listen" (printf "0.0.0.0:%d" (int .Values.ports.operations)) -}}
{{- if not $server.public_url -}}
{{- $_ := set $server "public_url" (printf "https://%s" .Values.ingress.host) -}}
{{- end -}}
{{- /* [database]: the migration Job migrates, the replicas do not. */ -}}
{{- $database := get $cfg "database" -}}
{{- if .Values.migrations.enabled -}}
{{- $_ := set $database "migrate" false -}}
{{- end -}}
{{- /* Dependencies' in-cluster addresses. */ -}}
{{- $kratos := get $cfg "kratos" -}}
{{- if .Values.kratos.enabled -}}
{{- $full := include "bibind.dependencyFullname" (dict "root" . "chart" "kratos" "values" .Values.kratos) -}}
{{- $admin := dig "service" "admin" "port" 80 .Values.kratos -}}
{{- $public := dig "service" "public" "port" 80 .Values.kratos -}}
{{- if not $kratos.admin_url -}}
{{- $_ := set $kratos "admin_url" (printf "http://%s-admin.%s.svc:%d" $full $ns (int $admin)) -}}
{{- end -}}
{{- if not $kratos.internal_url -}}
{{- $_ := set $kratos "internal_url" (printf "http://%s-public.%s.svc:%d" $full $ns (int $public)) -}}
{{- end -}}
{{- end -}}
{{- $hydra := get $cfg "hydra" -}}
{{- if and .Values.hydra.enabled (not $hydra.admin_url) -}}
{{- $full := include "bibind.dependencyFullname" (dict "root" . "chart" "hydra" "values" .Values.hydra) -}}
{{- $admin := dig "service" "admin" "port" 4445 .Values.hydra -}}
{{- $_ := set $hydra "admin_url" (printf "http://%s-admin.%s.svc:%d" $full $ns (int $admin)) -}}
{{- end -}}
{{- $vault := get $cfg "vault" -}}
{{- if and .Values.openbao.enabled (not $vault.addr) -}}
{{- $full := include "bibind.dependencyFullname" (dict "root" . "chart" "openbao" "values" .Values.openbao) -}}
{{- $_ := set $vault "addr" (printf "http://%s.%s.svc:8200" $full $ns) -}}
{{- end -}}
{{- /* Both URLs of an Ory server, or neither. */ -}}
{{- range $name := list "kratos" "hydra" -}}
{{- $section := get $cfg $name -}}
{{- if and (or $section.public_url $section.admin_url) (not (and $section.public_url $section.admin_url)) -}}
{{- fail (printf "config.%s needs both public_url (as browsers reach it) and admin_url" $name) -}}
{{- end -}}
{{- end -}}
{{- if and (get $cfg "oidc") (not (get (get $cfg "oidc") "client_id")) -}}
{{- fail "config.oidc needs client_id" -}}
{{- end -}}
{{- if and (get $cfg "oidc") (not (get (get $cfg "oidc") "issuer")) (not $hydra.public_url) -}}
{{- fail "config.oidc needs issuer, or config.hydra (its issuer is Hydra's public_url)" -}}
{{- end -}}
{{- /* [provisioning]: the engine uses this pod's service account. */ -}}
{{- $provisioning := get $cfg "provisioning" -}}
{{- if $provisioning -}}
{{- if not (and $vault.addr $hydra.admin_url (dig "mqtt" "address" "" $cfg)) -}}
{{- fail "config.provisioning needs config.vault.addr, config.hydra and config.mqtt.address" -}}
{{- end -}}
{{- if not (kindIs "map" (get $provisioning "kubernetes")) -}}
{{- $_ := set $provisioning "kubernetes" dict -}}
{{- end -}}
{{- $kubernetes := get $provisioning "kubernetes" -}}
{{- $sa := "/var/run/secrets/kubernetes.io/serviceaccount" -}}
{{- $_ := set $kubernetes "api_url" (default "https://kubernetes.default.svc" $kubernetes.api_url) -}}
{{- $_ := set $kubernetes "token_file" (default (printf "%s/token" $sa) $kubernetes.token_file) -}}
{{- $_ := set $kubernetes "ca_file" (default (printf "%s/ca.crt" $sa) $kubernetes.ca_file) -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{- define "bibind.configToml" -}}
# Rendered by the bibind Helm chart from its values (`config`). Secrets come
# from BIBIND_… environment variables, never from this file.
{{ include "bibind.toml.table" (dict "prefix" "" "table" (include "bibind.effectiveConfig" . | fromYaml)) | trim }}
{{- end -}}

{{/* TOML ------------------------------------------------------------------- */}}

{{/*
A table's body: its scalar and array keys, then each sub-table under its own
header. Keys are sorted; null and "" values and empty tables are left out.
Whole numbers are written as integers (YAML values arrive as floats).
Arguments: prefix (the table's dotted path, "" at the root), table.
*/}}
{{- define "bibind.toml.table" -}}
{{- $table := .table | default dict -}}
{{- $prefix := .prefix -}}
{{- range $key := keys $table | sortAlpha -}}
{{- $value := get $table $key -}}
{{- if and (not (kindIs "map" $value)) (not (kindIs "invalid" $value)) (not (and (kindIs "string" $value) (eq $value ""))) }}
{{ include "bibind.toml.key" $key }} = {{ include "bibind.toml.value" $value }}
{{- end -}}
{{- end -}}
{{- range $key := keys $table | sortAlpha -}}
{{- $value := get $table $key -}}
{{- if kindIs "map" $value -}}
{{- $path := ternary (include "bibind.toml.key" $key) (printf "%s.%s" $prefix (include "bibind.toml.key" $key)) (eq $prefix "") -}}
{{- $body := include "bibind.toml.table" (dict "prefix" $path "table" $value) -}}
{{- if trim $body }}

[{{ $path }}]
{{- $body -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "bibind.toml.key" -}}
{{- if regexMatch "^[A-Za-z0-9_-]+$" . -}}
{{- . -}}
{{- else -}}
{{- toJson . -}}
{{- end -}}
{{- end -}}

{{- define "bibind.toml.value" -}}
{{- $value := . -}}
{{- if kindIs "string" $value -}}
{{- $escaped := $value | replace "\\" "\\\\" | replace "\"" "\\\"" | replace "\n" "\\n" | replace "\r" "\\r" | replace "\t" "\\t" -}}
{{- if regexMatch "[\\x00-\\x1f\\x7f]" $escaped -}}
{{- /* Other control characters: JSON's \uXXXX escapes are TOML's too. */ -}}
{{- toJson $value -}}
{{- else -}}
"{{ $escaped }}"
{{- end -}}
{{- else if kindIs "bool" $value -}}
{{- $value -}}
{{- else if or (kindIs "float64" $value) (kindIs "float32" $value) -}}
{{- if eq (floor $value) (float64 $value) -}}
{{- int64 $value -}}
{{- else -}}
{{- $value -}}
{{- end -}}
{{- else if or (kindIs "int" $value) (kindIs "int64" $value) (kindIs "int32" $value) (kindIs "uint64" $value) -}}
{{- $value -}}
{{- else if kindIs "slice" $value -}}
[{{ range $i, $item := $value }}{{ if $i }}, {{ end }}{{ include "bibind.toml.value" $item }}{{ end }}]
{{- else if kindIs "map" $value -}}
{ {{- range $i, $key := keys $value | sortAlpha }}{{ if $i }},{{ end }} {{ include "bibind.toml.key" $key }} = {{ include "bibind.toml.value" (get $value $key) }}{{ end }} }
{{- else -}}
{{- fail (printf "config: cannot write a %s in TOML" (kindOf $value)) -}}
{{- end -}}
{{- end -}}

{{/* Secrets and environment ------------------------------------------------ */}}

{{/*
The secret settings the configuration uses, as a YAML list of
{env, value}: the Secret's keys are the variables' names. `value` is what
the chart's own Secret holds.
*/}}
{{- define "bibind.secretEntries" -}}
{{- $cfg := include "bibind.effectiveConfig" . | fromYaml -}}
{{- $s := .Values.secret -}}
{{- $databaseUrl := $s.databaseUrl -}}
{{- if and (not $databaseUrl) .Values.postgresql.enabled (not $s.existingSecret) -}}
{{- $auth := .Values.postgresql.auth | default dict -}}
{{- $user := default "postgres" $auth.username -}}
{{- $password := ternary $auth.password $auth.postgresPassword (ne $user "postgres") -}}
{{- if not $password -}}
{{- fail "postgresql.enabled: set postgresql.auth.password (or secret.databaseUrl) so the portal's database URL can be written" -}}
{{- end -}}
{{- $host := include "bibind.dependencyFullname" (dict "root" . "chart" "postgresql" "values" .Values.postgresql) -}}
{{- $databaseUrl = printf "postgres://%s:%s@%s.%s.svc:5432/%s" ($user | urlquery | replace "+" "%20") ($password | urlquery | replace "+" "%20") $host .Release.Namespace (default $user $auth.database) -}}
{{- end -}}
{{- $entries := list (dict "env" "BIBIND_DATABASE__URL" "value" $databaseUrl "value_name" "secret.databaseUrl") -}}
{{- if get $cfg "oidc" -}}
{{- $entries = append $entries (dict "env" "BIBIND_OIDC__CLIENT_SECRET" "value" $s.oidcClientSecret "value_name" "secret.oidcClientSecret") -}}
{{- end -}}
{{- if get $cfg "provisioning" -}}
{{- $p := $s.provisioning -}}
{{- $entries = append $entries (dict "env" "BIBIND_PROVISIONING__VAULT_TOKEN" "value" $p.vaultToken "value_name" "secret.provisioning.vaultToken") -}}
{{- $entries = append $entries (dict "env" "BIBIND_PROVISIONING__ODOO__MASTER_PASSWORD" "value" $p.odooMasterPassword "value_name" "secret.provisioning.odooMasterPassword") -}}
{{- $entries = append $entries (dict "env" "BIBIND_PROVISIONING__AWX__TOKEN" "value" $p.awxToken "value_name" "secret.provisioning.awxToken") -}}
{{- $entries = append $entries (dict "env" "BIBIND_PROVISIONING__GITLAB__TOKEN" "value" $p.gitlabToken "value_name" "secret.provisioning.gitlabToken") -}}
{{- $entries = append $entries (dict "env" "BIBIND_PROVISIONING__OPENSTACK__PASSWORD" "value" $p.openstackPassword "value_name" "secret.provisioning.openstackPassword") -}}
{{- $entries = append $entries (dict "env" "BIBIND_PROVISIONING__MQTT__ADMIN_PASSWORD" "value" $p.mqttAdminPassword "value_name" "secret.provisioning.mqttAdminPassword") -}}
{{- if dig "provisioning" "backups" "" $cfg -}}
{{- $entries = append $entries (dict "env" "BIBIND_PROVISIONING__BACKUPS__PRIMARY__SECRET_KEY" "value" $p.s3PrimarySecretKey "value_name" "secret.provisioning.s3PrimarySecretKey") -}}
{{- $entries = append $entries (dict "env" "BIBIND_PROVISIONING__BACKUPS__OFFSITE__SECRET_KEY" "value" $p.s3OffsiteSecretKey "value_name" "secret.provisioning.s3OffsiteSecretKey") -}}
{{- end -}}
{{- end -}}
{{- if not $s.existingSecret -}}
{{- range $entry := rest $entries -}}
{{- if not $entry.value -}}
{{- fail (printf "%s is empty: %s needs it (or give secret.existingSecret)" $entry.value_name $entry.env) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml $entries -}}
{{- end -}}

{{/* The Secret's data (the chart's own Secret). */}}
{{- define "bibind.secretData" -}}
{{- range $entry := include "bibind.secretEntries" . | fromYamlArray -}}
{{- if $entry.value }}
{{ $entry.env }}: {{ $entry.value | b64enc | quote }}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The containers' env: each secret setting from the Secret `secretName`. */}}
{{- define "bibind.env" -}}
{{- $secretName := .secretName -}}
{{- range $entry := include "bibind.secretEntries" .root | fromYamlArray }}
- name: {{ $entry.env }}
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: {{ $entry.env }}
{{- end }}
{{- with .root.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The portal's container and the migration Job's share these. */}}
{{- define "bibind.configVolume" -}}
- name: config
  configMap:
    name: {{ .name }}
    items:
      - key: bibind.toml
        path: bibind.toml
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "bibind.configMount" -}}
- name: config
  mountPath: /etc/bibind/bibind.toml
  subPath: bibind.toml
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* Whether the pods mount the service account's token. */}}
{{- define "bibind.automountToken" -}}
{{- if kindIs "bool" .Values.automountServiceAccountToken -}}
{{- .Values.automountServiceAccountToken -}}
{{- else -}}
{{- not (empty .Values.config.provisioning) -}}
{{- end -}}
{{- end -}}
