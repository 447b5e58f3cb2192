// The retry delays of client-go's DefaultControllerRateLimiter: the larger of a per-key exponential backoff
// (5 ms doubling to a cap) and an overall token bucket (10 per second, burst 100), so one failing key backs
// off alone while a storm of failures cannot hammer the apiserver.

export interface RateLimiterOptions {
  /** First retry delay (client-go: 5 ms). */
  baseDelayMs?: number;
  /** Cap of the per-key backoff (client-go: 1000 s). */
  maxDelayMs?: number;
  /** Overall retries per second once the burst is spent (client-go: 10). 0 disables the bucket. */
  qps?: number;
  burst?: number;
  now?: () => number;
}

export class ItemExponentialFailureRateLimiter<K> {
  private readonly failures = new Map<K, number>();
  constructor(
    private readonly baseDelayMs = 5,
    private readonly maxDelayMs = 1_000_000,
  ) {}

  when(key: K): number {
    const exp = this.failures.get(key) ?? 0;
    this.failures.set(key, exp + 1);
    // 2^exp overflows to Infinity past ~1023; the cap takes over long before that.
    return Math.min(this.baseDelayMs * 2 ** exp, this.maxDelayMs);
  }

  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: K): void {
    this.failures.delete(key);
  }
}

/** golang.org/x/time/rate's Limiter.Reserve: take a token now, or be told how long until it exists. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Milliseconds until the reserved token is available (0: now). */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  /** Take a token if one is there now; otherwise take nothing (client-go's passive TryAccept). */
  tryAccept(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }
}

export class ControllerRateLimiter<K> {
  private readonly items: ItemExponentialFailureRateLimiter<K>;
  private readonly bucket: TokenBucket | undefined;
  constructor(options: RateLimiterOptions = {}) {
    this.items = new ItemExponentialFailureRateLimiter<K>(options.baseDelayMs ?? 5, options.maxDelayMs ?? 1_000_000);
    const qps = options.qps ?? 10;
    this.bucket = qps > 0 ? new TokenBucket(qps, options.burst ?? 100, options.now) : undefined;
  }

  when(key: K): number {
    const itemDelay = this.items.when(key);
    const bucketDelay = this.bucket ? this.bucket.reserve() : 0;
    return Math.max(itemDelay, bucketDelay);
  }

  numRequeues(key: K): number {
    return this.items.numRequeues(key);
  }

  forget(key: K): void {
    this.items.forget(key);
  }
}
