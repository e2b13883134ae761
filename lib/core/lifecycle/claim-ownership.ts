/**
 * Whether an existing address claim is the one this ADD tried to make. A CREATE whose reply was
 * lost (the API server restarted, the connection was cut, the client's deadline passed) may have
 * committed: the retry then meets its own claim as a 409. Taking that for "someone else holds it"
 * and picking another address would leave the NIC with two claims, one of them never released
 * by a DEL that reports one address (docs/adr/0002-address-claims.md, "Lost replies"). Pure.
 */

/** Who a claim is for: the Pod incarnation (UID), its name, and the NIC. */
export interface ClaimHolder {
  readonly podUID: string;
  readonly podNamespace: string;
  readonly podName: string;
  readonly interface: string;
}

/**
 * True only when every field matches: the same UID alone is not enough, a claim of another NIC
 * of the same Pod is that NIC's address, not a second one for this NIC.
 */
export function isOwnClaim(existing: ClaimHolder, wanted: ClaimHolder): boolean {
  return (
    !!wanted.podUID &&
    existing.podUID === wanted.podUID &&
    existing.podNamespace === wanted.podNamespace &&
    existing.podName === wanted.podName &&
    existing.interface === wanted.interface
  );
}
