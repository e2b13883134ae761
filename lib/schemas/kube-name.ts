/**
 * Kubernetes object names as the API server accepts them. A name a caller sends goes into an API
 * path only after this check (docs/security.md).
 */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A namespace name: a DNS-1123 label of at most 63 characters. */
export function isNamespaceName(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

/** A Pod name: a DNS-1123 subdomain of at most 253 characters. */
export function isPodName(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}
