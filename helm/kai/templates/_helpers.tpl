{{/*
Names, labels and the list of components every template shares.
*/}}

{{/* The chart's name, or nameOverride. */}}
{{- define "kai.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release-wide prefix of every object's name (helm create's rule). */}}
{{- define "kai.fullname" -}}
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

{{/* chart-version, for the helm.sh/chart label. */}}
{{- define "kai.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Recommended labels (app.kubernetes.io/*) of one component's objects.
Call with (dict "root" $ "component" "membership").
*/}}
{{- define "kai.labels" -}}
helm.sh/chart: {{ include "kai.chart" .root }}
{{ include "kai.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: kai-alliance
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The labels that select one component's pods. Call with (dict "root" $ "component" NAME). */}}
{{- define "kai.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kai.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The service account every Kai pod runs as. */}}
{{- define "kai.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kai.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The image of a Kai program: <registry><repositoryPrefix>/<program>:<tag>, unless the component's
own image.repository / image.tag say otherwise. Call with (dict "root" $ "program" "kai-broker"
"image" .Values.broker.image).
*/}}
{{- define "kai.image" -}}
{{- $image := .image | default dict }}
{{- $repository := $image.repository | default (printf "%s%s/%s" .root.Values.image.registry .root.Values.image.repositoryPrefix .program) }}
{{- $tag := $image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion }}
{{- printf "%s:%s" $repository $tag }}
{{- end }}

{{/* The Secret holding the bus keys and the allow-list. */}}
{{- define "kai.busSecretName" -}}
{{- .Values.bus.curve.existingSecret | default (printf "%s-bus-keys" (include "kai.fullname" .)) }}
{{- end }}

{{/* The Secret holding the gateway's tokens file (key "tokens"). */}}
{{- define "kai.tokensSecretName" -}}
{{- .Values.gateway.tokens.existingSecret | default (printf "%s-gateway-tokens" (include "kai.fullname" .)) }}
{{- end }}

{{/*
Every broker's endpoint on one port, comma-separated: workers and publishers connect to all of
them. Call with (dict "root" $ "port" 5555).
*/}}
{{- define "kai.brokerEndpoints" -}}
{{- $fullname := include "kai.fullname" .root }}
{{- $endpoints := list }}
{{- range $i := until (int .root.Values.broker.replicas) }}
{{- $endpoints = append $endpoints (printf "tcp://%s-broker-%d.%s-broker:%d" $fullname $i $fullname (int $.port)) }}
{{- end }}
{{- join "," $endpoints }}
{{- end }}

{{/* KAI_REDIS_URL: the chart's Redis, or redis.url. */}}
{{- define "kai.redisUrl" -}}
{{- if .Values.redis.enabled }}
{{- printf "redis://%s-redis:6379/0" (include "kai.fullname" .) }}
{{- else }}
{{- .Values.redis.url }}
{{- end }}
{{- end }}

{{/*
The components that run as workloads besides the broker, as a YAML map name -> values plus:
  program  the binary (kai-gateway, kai-<service>)
  role     what its key may do on the bus (allow-list role)
  kind     StatefulSet (SQLite in its volume, one replica) or Deployment (PostgreSQL, or a
           gateway without persistence)
Used as: range $name, $app := include "kai.apps" . | fromYaml
*/}}
{{- define "kai.apps" -}}
{{- $apps := dict }}
{{- if .Values.gateway.enabled }}
{{- $gateway := deepCopy .Values.gateway }}
{{- $_ := set $gateway "program" "kai-gateway" }}
{{- $_ := set $gateway "role" "client" }}
{{- $_ := set $gateway "opsPort" 9101 }}
{{- $_ := set $gateway "demoData" false }}
{{- $_ := set $gateway "database" (dict "url" "" "existingSecret" "") }}
{{- $_ := set $gateway "kind" (ternary "StatefulSet" "Deployment" .Values.gateway.persistence.enabled) }}
{{- $_ := set $apps "gateway" $gateway }}
{{- end }}
{{- range $name, $service := .Values.services }}
{{- if $service.enabled }}
{{- $app := deepCopy $service }}
{{- $database := default (dict) $app.database }}
{{- $scaledOut := not (empty (or $database.url $database.existingSecret)) }}
{{- if and (not $scaledOut) (gt (int $app.replicas) 1) }}
{{- fail (printf "services.%s: more than one replica needs PostgreSQL (database.url or database.existingSecret); on SQLite each replica would have its own data" $name) }}
{{- end }}
{{- $_ := set $app "program" (printf "kai-%s" $name) }}
{{- $_ := set $app "role" (printf "worker:%s" $name) }}
{{- $_ := set $app "database" $database }}
{{- $_ := set $app "kind" (ternary "Deployment" "StatefulSet" $scaledOut) }}
{{- $_ := set $apps $name $app }}
{{- end }}
{{- end }}
{{- toYaml $apps }}
{{- end }}

{{/*
The broker's allow-list: each component's public key with its role, then bus.curve.extraAllowed.
*/}}
{{- define "kai.allowList" -}}
# public key (Z85)                         role   (rendered by the kai chart)
{{- range $name, $app := include "kai.apps" . | fromYaml }}
{{- $pair := get $.Values.bus.curve.keys $name | default dict }}
{{ required (printf "bus.curve.keys.%s.publicKey is required with CurveZMQ on" $name) $pair.publicKey }} {{ $app.role }}
{{- end }}
{{- range .Values.bus.curve.extraAllowed }}
{{ .publicKey }} {{ .role }}
{{- end }}
{{- end }}
