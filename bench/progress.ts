/**
 * The one progress line on stderr while a phase runs: phase, calls done of total, failures,
 * elapsed seconds. Rewritten in place on a terminal; a line every few seconds otherwise (CI).
 */
export class Progress {
  #timer: NodeJS.Timeout | undefined;
  #label = "";
  #total = 0;
  #done = 0;
  #failed = 0;
  #started = 0;
  readonly #tty: boolean;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {
    this.#tty = !!out.isTTY;
  }

  start(label: string, total: number): void {
    this.stop();
    this.#label = label;
    this.#total = total;
    this.#done = 0;
    this.#failed = 0;
    this.#started = Date.now();
    this.#timer = setInterval(() => this.#print(), this.#tty ? 500 : 5000);
  }

  tick(ok: boolean): void {
    this.#done++;
    if (!ok) this.#failed++;
  }

  stop(): void {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#print(true);
  }

  /** A line of its own (setup steps), not overwritten. */
  note(line: string): void {
    if (this.#tty && this.#timer) this.out.write("\n");
    this.out.write(`[bench] ${line}\n`);
  }

  #print(final = false): void {
    const secs = ((Date.now() - this.#started) / 1000).toFixed(1);
    const line = `[bench] ${this.#label}: ${this.#done}/${this.#total} done${this.#failed ? `, ${this.#failed} failed` : ""}, ${secs} s`;
    if (this.#tty) this.out.write(`\r${line}\x1b[K${final ? "\n" : ""}`);
    else this.out.write(`${line}\n`);
  }
}
