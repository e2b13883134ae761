/**
 * Builders and assertions shared by the admission rule specs (not used at runtime).
 */
import assert from "node:assert/strict";
import type { IPPoolSpecInput, ObjectMeta, SubnetSpec } from "../schemas/index.js";
import type {
  AdmissionConfig,
  IPPoolObject,
  SubnetObject,
} from "../core/admission/admission-objects.js";
import type { AdmissionVerdict, InvalidDenial } from "../core/admission/admission-verdict.js";
import type { FieldErrorCode } from "../core/admission/field-error.js";

/** Every feature on. */
export const ALL_ON: AdmissionConfig = {
  enableIPv4: true,
  enableIPv6: true,
  enableSpiderSubnet: true,
  enableValidatingResourcesDeletedWebhook: true,
};

type SpecOf<T> = Partial<T> & { subnet: string };

/** A pool; `ipVersion` follows the subnet's spelling unless the spec sets the key. */
export function pool(
  name: string,
  spec: SpecOf<IPPoolSpecInput>,
  metadata: Partial<ObjectMeta> = {},
  status?: IPPoolObject["status"],
): IPPoolObject {
  const ipVersion = "ipVersion" in spec ? spec.ipVersion : spec.subnet.includes(":") ? 6 : 4;
  const object: IPPoolObject = { metadata: { name, ...metadata }, spec: { ...spec, ipVersion } };
  return status === undefined ? object : { ...object, status };
}

/** A subnet; `ipVersion` follows the subnet's spelling unless the spec sets the key. */
export function subnet(
  name: string,
  spec: SpecOf<SubnetSpec>,
  metadata: Partial<ObjectMeta> = {},
  status?: SubnetObject["status"],
): SubnetObject {
  const ipVersion = "ipVersion" in spec ? spec.ipVersion : spec.subnet.includes(":") ? 6 : 4;
  const object: SubnetObject = { metadata: { name, ...metadata }, spec: { ...spec, ipVersion } };
  return status === undefined ? object : { ...object, status };
}

/** The verdict must be a 422; returns it. */
export function invalid(verdict: AdmissionVerdict): InvalidDenial {
  assert.equal(verdict.allowed, false, "expected a denial");
  assert.equal(
    (verdict as InvalidDenial).reason,
    "Invalid",
    `expected Invalid, got ${JSON.stringify(verdict)}`,
  );
  return verdict as InvalidDenial;
}

/** The message of a 422 verdict. */
export function messageOf(verdict: AdmissionVerdict): string {
  return invalid(verdict).message;
}

/** The rule codes of a verdict, empty when allowed. */
export function codesOf(verdict: AdmissionVerdict): FieldErrorCode[] {
  return verdict.allowed || verdict.reason !== "Invalid"
    ? []
    : verdict.errors.map(error => error.code);
}

/** The verdict must be allowed. */
export function assertAllowed(verdict: AdmissionVerdict): void {
  assert.deepEqual(verdict, { allowed: true }, verdict.allowed ? "" : verdict.message);
}
