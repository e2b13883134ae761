/**
 * Public surface of lib/schemas: zod schemas of the Spiderpool v2beta1 kinds (the single source of
 * the TypeScript types, the CRD openAPIV3Schema and the first admission check) and the CRD builder.
 */
export * from "./api-group.js";
export * from "./shared-fields.js";
export { jsonString } from "./json-string.js";
export * from "./ippool.js";
export * from "./subnet.js";
export * from "./reserved-ip.js";
export * from "./endpoint.js";
export * from "./ip-claim.js";
export * from "./coordinator.js";
export {
  findStructuralViolations,
  toCustomResourceDefinition,
  toOpenApiV3Schema,
  type CrdNames,
  type CustomResourceDefinition,
  type JsonSchemaProps,
  type PrinterColumn,
  type PrinterColumnType,
} from "./crd.js";
export { buildSpiderpoolCrds, spiderpoolCrdSources, type CrdSource } from "./spiderpool-crds.js";
