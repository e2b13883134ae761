/**
 * Waits until `cond` holds, checking every few ms; fails naming `what` after `withinMs`. The bound
 * only keeps a broken spec from hanging until mocha's timeout: no spec asserts how long it took.
 */
export async function eventually(
  what: string,
  cond: () => boolean,
  withinMs = 3000,
): Promise<void> {
  const until = Date.now() + withinMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`never happened: ${what}`);
    await new Promise(r => setTimeout(r, 5));
  }
}
