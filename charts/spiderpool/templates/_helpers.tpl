{{/* Labels every object of the release carries; app.kubernetes.io/part-of as in manifests/. */}}
{{- define "spiderpool.labels" -}}
app.kubernetes.io/part-of: pepr-spiderpool
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{- define "spiderpool.agentLabels" -}}
app.kubernetes.io/name: spiderpool-agent
{{ include "spiderpool.labels" . }}
{{- end }}

{{/* The agent image: registry/repository, then @digest or :tag (default: the appVersion). */}}
{{- define "spiderpool.agentImage" -}}
{{- $i := .Values.spiderpoolAgent.image -}}
{{- $repo := ternary $i.repository (printf "%s/%s" $i.registry $i.repository) (empty $i.registry) -}}
{{- if $i.digest -}}
{{ $repo }}@{{ $i.digest }}
{{- else -}}
{{ $repo }}:{{ $i.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end }}

{{/*
The Pepr pods read ConfigMap spiderpool-conf in the namespace of their SPIDERPOOL_NAMESPACE
(package.json, pepr.env: kube-system), and the agent's objects go to the release namespace: a
release elsewhere would leave the Pepr module without its configuration.
*/}}
{{- define "spiderpool.checkNamespace" -}}
{{- if ne .Release.Namespace "kube-system" -}}
{{- fail (printf "install the release into namespace kube-system (helm install -n kube-system), not %q: the Pepr module reads ConfigMap spiderpool-conf in kube-system" .Release.Namespace) -}}
{{- end -}}
{{- end }}
