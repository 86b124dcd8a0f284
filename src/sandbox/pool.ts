import type { Logger } from 'pino';

import { ReexecError } from '../errors.js';
import { environment, type Environment } from './environment.js';
import { validatePrewarmCount } from './prewarm.js';
import type { RunSpec } from './run.js';
import type { Registration } from './types.js';
import { WarmChild } from './warm-child.js';

/** Consecutive failed starts after which a pool stops refilling until a call has seen why. */
const MAX_FAILED_STARTS = 3;
const FIRST_BACKOFF_MS = 50;
/** One SCM_RIGHTS message carries this many fds; a call with more files runs cold. */
const MAX_PASSED_FDS = 253;

/**
 * `count` children for one id, started in one environment and kept ready. A failed start
 * is retried with a doubling delay; after MAX_FAILED_STARTS in a row the pool stops and
 * the next call (and warmed()) gets the reason; that call's error restarts it.
 */
class WarmPool {
  private readonly idle: WarmChild[] = [];
  /** Spawned and not yet taken (idle or still getting ready): close() kills these. */
  private readonly live = new Set<WarmChild>();
  private readonly starts = new Set<Promise<void>>();
  private starting = 0;
  private failures = 0;
  private stopped: ReexecError | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  private waiters: { resolve(): void; reject(error: unknown): void }[] = [];

  constructor(
    private readonly registration: Registration,
    private readonly env: Environment,
    private readonly count: number,
    private readonly logger: Logger,
  ) {}

  /** An idle child for a call in `env`; throws the reason if the pool stopped. */
  take(env: Environment): WarmChild | undefined {
    if (this.closed || env.key !== this.env.key || env.idMapper !== this.env.idMapper) return undefined;
    if (this.stopped) {
      const error = this.stopped;
      this.stopped = undefined;
      this.failures = 0;
      this.fill();
      throw error;
    }
    const child = this.idle.shift();
    if (child) {
      this.live.delete(child);
      // Refilled once the call is over: a Node start next to the call would slow it down.
      void child.exited.then(() => this.fill());
    }
    return child;
  }

  fill(): void {
    if (this.closed || this.stopped || this.retry) return;
    while (this.idle.length + this.starting < this.count) {
      this.starting++;
      const start = this.startOne().finally(() => {
        this.starting--;
        this.starts.delete(start);
      });
      this.starts.add(start);
    }
  }

  private async startOne(): Promise<void> {
    let child: WarmChild | undefined;
    try {
      child = await WarmChild.spawn(this.registration.id, this.env, this.registration.module, this.logger.level);
      this.live.add(child);
      if (this.closed) child.kill();
      await child.ready;
    } catch (error) {
      if (child) this.live.delete(child);
      if (!this.closed) this.failed(error);
      return;
    }
    if (this.closed) return;
    this.failures = 0;
    child.idle();
    this.idle.push(child);
    void child.exited.then((exit) => this.exitedIdle(child, exit));
    this.settle();
  }

  /** A child that dies while idle was killed from outside or crashed: a failed start too. */
  private exitedIdle(child: WarmChild, exit: { exitCode: number | null; signal: string | null }): void {
    const at = this.idle.indexOf(child);
    if (at < 0) return;
    this.idle.splice(at, 1);
    this.live.delete(child);
    if (this.closed) return;
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
    this.failed(new ReexecError('killed', `a prewarmed child for "${this.registration.id}" ${how} while idle`, { exitCode: exit.exitCode, signal: exit.signal as NodeJS.Signals | null }));
  }

  private failed(error: unknown): void {
    this.failures++;
    if (this.failures >= MAX_FAILED_STARTS) {
      const cause = error instanceof ReexecError ? error : new ReexecError('spawn', String((error as Error)?.message ?? error), { cause: error });
      this.stopped = new ReexecError(cause.kind, `prewarm pool "${this.registration.id}" stopped refilling after ${this.failures} failed starts in a row; the last: ${cause.message}`, {
        cause,
        step: cause.step,
        code: cause.code,
        exitCode: cause.exitCode,
        signal: cause.signal,
        stderr: cause.stderr,
      });
      this.settle();
      return;
    }
    // Not unref'd: a host awaiting warmed() must live to see the outcome (bounded: a few retries).
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.fill();
    }, FIRST_BACKOFF_MS * 2 ** (this.failures - 1));
  }

  /** Resolves once the pool is full; rejects if it stopped refilling. */
  full(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.settle();
    });
  }

  private settle(): void {
    const done = this.closed || this.idle.length >= this.count;
    if (!done && !this.stopped) return;
    for (const waiter of this.waiters.splice(0)) {
      if (this.stopped && !done) waiter.reject(this.stopped);
      else waiter.resolve();
    }
  }

  /** Kills every child not yet taken and waits for their exits; calls in flight go on. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.retry = undefined;
    this.settle();
    const children = [...this.live];
    this.idle.length = 0;
    this.live.clear();
    children.forEach((child) => child.kill());
    await Promise.all([...children.map((child) => child.exited), ...this.starts]);
  }
}

/** The prewarmed pools of one reexecer. */
export class Pools {
  private constructor(private readonly pools: Map<string, WarmPool>) {}

  /** Starts filling a pool for every id with a count above 0. */
  static create(entries: readonly { registration: Registration; spec: RunSpec; count: number }[], logger: Logger): Pools {
    const pools = new Map<string, WarmPool>();
    for (const { registration, spec, count } of entries) {
      validatePrewarmCount(registration.id, count);
      if (count > 0) pools.set(registration.id, new WarmPool(registration, environment(registration.id, spec), count, logger));
    }
    for (const pool of pools.values()) pool.fill();
    return new Pools(pools);
  }

  /** An idle child for this call, or undefined to run it cold. */
  take(id: string, env: Environment, fileCount: number, signal: AbortSignal | undefined): WarmChild | undefined {
    if (fileCount > MAX_PASSED_FDS || signal?.aborted) return undefined;
    return this.pools.get(id)?.take(env);
  }

  warmed(): Promise<void> {
    return Promise.all([...this.pools.values()].map((pool) => pool.full())).then(() => undefined);
  }

  close(): Promise<void> {
    return Promise.all([...this.pools.values()].map((pool) => pool.close())).then(() => undefined);
  }
}

export const createPools = Pools.create;
