/**
 * Decoding JSON annotation values the way Go's `encoding/json` decodes them into Spiderpool's
 * structs, because users write these values against Spiderpool's behaviour:
 *
 * - object keys match struct fields case-insensitively (`"cleanGateway"` is `cleangateway`);
 * - unknown keys are ignored; a key seen twice keeps its last value;
 * - `null` leaves a field at its zero value; a type mismatch is an error;
 * - error texts are Go's: `unexpected end of JSON input`, `invalid character 'x' looking for
 *   beginning of value`, `json: cannot unmarshal string into Go struct field AnnoIPPoolItem.cleangateway of type bool`.
 *
 * The input is first checked as a whole, as Go does, so a syntax error wins over a type error.
 */
import { parseJson, type JsonNode } from "./go-json-scanner.js";
import { err, ok, type Result } from "../base/result.js";

/** Where a type error happened, as Go's decoder tracks it: innermost struct and the field path. */
interface ErrorContext {
  readonly struct?: string;
  readonly fields: readonly string[];
}

/** A Go type the decoder can fill: what it is called in messages and how JSON maps onto it. */
export interface GoCodec<T> {
  /** The type as `reflect.Type.String()` prints it, e.g. `[]string` or `types.AnnoPodIPPoolValue`. */
  readonly goType: string;
  /** The Go zero value. */
  zero(): T;
  /** Decodes `node` over `previous` (Go decodes into existing values). Returns a message on mismatch. */
  decode(node: JsonNode, previous: T, context: ErrorContext): Result<T, string>;
}

/** The TypeScript type a codec produces. */
export type Decoded<C> = C extends GoCodec<infer T> ? T : never;

/** Go `string`. */
export const goString: GoCodec<string> = {
  goType: "string",
  zero: () => "",
  decode: (node, previous, context) => {
    if (node.t === "null") return ok(previous);
    if (node.t === "string") return ok(node.v);
    return err(typeError(node, "string", context));
  },
};

/** Go `bool`. */
export const goBool: GoCodec<boolean> = {
  goType: "bool",
  zero: () => false,
  decode: (node, previous, context) => {
    if (node.t === "null") return ok(previous);
    if (node.t === "bool") return ok(node.v);
    return err(typeError(node, "bool", context));
  },
};

/**
 * A Go slice (`[]T`, or a named slice type). A nil slice is represented as `[]`: nothing in
 * Spiderpool distinguishes nil from empty here, both have length 0.
 */
export function goSlice<T>(element: GoCodec<T>, goType = `[]${element.goType}`): GoCodec<T[]> {
  return {
    goType,
    zero: () => [],
    decode: (node, _previous, context) => {
      if (node.t === "null") return ok([]);
      if (node.t !== "array") return err(typeError(node, goType, context));
      const out: T[] = [];
      for (const item of node.items) {
        const decoded = element.decode(item, element.zero(), context);
        if (!decoded.ok) return decoded;
        out.push(decoded.value);
      }
      return ok(out);
    },
  };
}

/**
 * A Go pointer (`*T`): `null` makes it nil (`undefined`), anything else is decoded into the
 * pointed-to value, and type errors name `T`, as Go's decoder allocates before decoding.
 */
export function goPointer<T>(element: GoCodec<T>): GoCodec<T | undefined> {
  return {
    goType: `*${element.goType}`,
    zero: () => undefined,
    decode: (node, previous, context) => {
      if (node.t === "null") return ok(undefined);
      return element.decode(node, previous ?? element.zero(), context);
    },
  };
}

/**
 * A Go struct. `fields` maps each field's JSON name (the tag) to its codec; `goType` is the
 * qualified name used for top-level messages (`types.AnnoIPPoolItem`), the part after the last
 * dot is the name used inside `Go struct field <Name>.<field>`.
 */
export function goStruct<F extends Record<string, GoCodec<unknown>>>(
  goType: string,
  fields: F,
): GoCodec<{ [K in keyof F]: Decoded<F[K]> }> {
  type Value = { [K in keyof F]: Decoded<F[K]> };
  const structName = goType.slice(goType.lastIndexOf(".") + 1);
  const byFold = new Map<string, string>();
  for (const name of Object.keys(fields)) byFold.set(foldKey(name), name);
  const zero = (): Value => {
    const value: Record<string, unknown> = {};
    for (const [name, codec] of Object.entries(fields)) value[name] = codec.zero();
    return value as Value;
  };
  return {
    goType,
    zero,
    decode: (node, previous, context) => {
      if (node.t === "null") return ok(previous);
      if (node.t !== "object") return err(typeError(node, goType, context));
      const value: Record<string, unknown> = { ...previous };
      for (const [key, child] of node.entries) {
        // Go prefers an exact match, then a case-insensitive one; our field names never collide
        // once folded, so one lookup covers both.
        const name = Object.hasOwn(fields, key) ? key : byFold.get(foldKey(key));
        if (name === undefined) continue;
        const codec = fields[name] as GoCodec<unknown>;
        const decoded = codec.decode(child, value[name], {
          struct: structName,
          fields: [...context.fields, name],
        });
        if (!decoded.ok) return decoded;
        value[name] = decoded.value;
      }
      return ok(value as Value);
    },
  };
}

/**
 * `json.Unmarshal([]byte(text), &v)` for a `v` of the codec's type: the syntax is checked first,
 * then the value is decoded. The error is Go's message.
 */
export function goUnmarshal<T>(text: string, codec: GoCodec<T>): Result<T, string> {
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  return codec.decode(parsed.value, codec.zero(), { fields: [] });
}

function typeError(node: JsonNode, goType: string, context: ErrorContext): string {
  const what =
    node.t === "object" || node.t === "array" || node.t === "string" || node.t === "number"
      ? node.t
      : "bool";
  if (context.struct !== undefined) {
    return `json: cannot unmarshal ${what} into Go struct field ${context.struct}.${context.fields.join(".")} of type ${goType}`;
  }
  return `json: cannot unmarshal ${what} into Go value of type ${goType}`;
}

/**
 * Go's case folding for field names (`bytes.EqualFold`): lower case, plus the two non-ASCII runes
 * that fold onto ASCII letters, the long s and the Kelvin sign.
 */
function foldKey(key: string): string {
  return key
    .toLowerCase()
    .replace(/\u017f/g, "s")
    .replace(/\u212a/g, "k");
}
