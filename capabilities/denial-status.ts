import { createRequire } from "node:module";
import path from "node:path";

/**
 * Pepr 1.1.4 answers every denial with HTTP 422 whatever code the validator gave (its
 * `karForValidate` hard-codes it), but Spiderpool's clients see 403 for "cannot update a
 * terminating …" and 409 for a taken name. The afterHook remembers the code our validator chose
 * for each request UID, and a wrapper of express's `res.send` — the express instance Pepr's
 * server uses — puts it into the AdmissionReview before it leaves. See docs/adr/0003.
 */
const codes = new Map<string, number>();

export function rememberDenialCode(res: {
  uid?: string;
  allowed?: boolean;
  status?: { code?: number };
}): void {
  if (res.uid && res.allowed === false && res.status?.code && res.status.code !== 422)
    codes.set(res.uid, res.status.code);
}

type Send = (this: unknown, body: unknown) => unknown;

export function installDenialStatusCodes(): void {
  // `pepr build` bundles this file as CommonJS, where `import.meta` is empty and `require` exists;
  // tsx (the local cluster) runs it as ESM, where the entry script (pepr.ts) anchors the lookup.
  const load =
    typeof require === "function"
      ? require
      : createRequire(path.resolve(process.argv[1] ?? "pepr.ts"));
  const express = load("express") as { response: { send: Send; __spiderpoolWrapped?: boolean } };
  const proto = express.response;
  if (proto.__spiderpoolWrapped) return;
  const send = proto.send;
  proto.send = function (this: unknown, body: unknown) {
    const review = body as
      | {
          kind?: string;
          response?: { uid?: string; allowed?: boolean; status?: { code?: number } };
        }
      | undefined;
    const uid = review?.response?.uid;
    if (review?.kind === "AdmissionReview" && uid && codes.has(uid)) {
      if (review.response?.allowed === false && review.response.status)
        review.response.status.code = codes.get(uid);
      codes.delete(uid);
    }
    return send.call(this, body);
  };
  proto.__spiderpoolWrapped = true;
}
