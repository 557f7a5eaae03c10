/**
 * Collects concurrent requests into one batch: it runs when `maxItems` are waiting or `maxDelayMs` after the
 * first arrived, whichever comes first. Batches run one at a time, so one ONNX Runtime session is never
 * asked to run twice at once and the thread pool is not oversubscribed.
 */
export class MicroBatcher<I, O> {
  private waiting: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  /** Sizes of the batches run so far (for metrics). */
  onBatch?: (size: number, seconds: number) => void;

  constructor(
    private readonly runBatch: (items: I[]) => Promise<O[]>,
    private readonly maxItems: number,
    private readonly maxDelayMs: number,
  ) {}

  run(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length >= this.maxItems) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.maxDelayMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting.splice(0, this.maxItems);
    if (batch.length === 0) return;
    this.running = this.running.then(async () => {
      const started = process.hrtime.bigint();
      try {
        const outputs = await this.runBatch(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(outputs[i]));
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
      this.onBatch?.(batch.length, Number(process.hrtime.bigint() - started) / 1e9);
    });
    if (this.waiting.length > 0) this.flush();
  }
}
