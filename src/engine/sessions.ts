/**
 * The inference worker's engine side, without messaging: the engine choice (engines.ts) and a GPU
 * engine's fallback to the CPU, the installed models (models/index.json), one loaded model per
 * scale, the tile size per model, and recovery from a lost GPU device. The badge's info goes out
 * through `onInfo`.
 */
import { channelsOf, receptiveRadiusOf } from '../model/metadata';
import { describeFailure } from './pipeline';
import { candidates, chooseEngine, measureEngines, type Candidates, type EngineModel, type EngineName, type Measurement, type TileEngine } from './engines';
import { SCALES, type EpInfo, type ModelEntry, type Scale } from './protocol';
import { CancelledError, tileForBindingLimit } from './tiler';
import { pickTier, probeTileMs, TIER_PROBE_SIDE, type TierChoice, type TierPick } from './tiers';
import { createImage } from '../core/image';

type SrSession = EngineModel;

/** Errors that mean the GPU device is gone (driver reset, tab backgrounded on some OSes). */
export function isDeviceLost(e: unknown): boolean {
  return /device (was )?lost|GPUDevice|DXGI|context lost|webgpu/i.test(String((e as Error)?.message ?? e));
}

const WASM_TILE = 384;
const firstLine = describeFailure;

/** How a model is tiled: the tile side (input pixels) and the overlap (its receptive radius). */
export interface TileSlot {
  tile: number;
  overlap: number;
}

export class Sessions {
  private base = '';
  private engine: TileEngine | undefined;
  private forcedTile: number | undefined;
  private entries: ModelEntry[] = [];
  /** Loaded models by file. */
  private readonly cache = new Map<string, Promise<SrSession>>();
  /** The model each scale runs, chosen per job (resolveTiers). */
  private readonly picks = new Map<number, TierPick>();
  /** Probe-tile ms of full-tier models on this engine, by probeKey (cached across visits by the app). */
  private readonly probes = new Map<string, number>();
  /** Reports a new full-tier measurement, for the app to cache. */
  onTierMeasured: (key: string, ms: number) => void = () => undefined;
  private last: SrSession | null = null;

  constructor(private readonly onInfo: (info: EpInfo) => void) {}

  private pending: Candidates | undefined;
  private maxThreads: number | undefined;

  /**
   * Picks the engine: `force` (named by the URL, `forcedBy` saying how), else the capable one, else
   * the one `cached` says was measured fastest on this device; with several candidates and no
   * cache, `settle` measures them once the model list is known. `tile` (≥ 8) forces the tile size.
   */
  async init(o: { force?: EngineName; forcedBy?: string; tile?: number; threads?: number; base: string; cached?: Measurement; measureCpu?: boolean; tierProbes?: Record<string, number> }): Promise<void> {
    this.base = o.base;
    for (const [k, v] of Object.entries(o.tierProbes ?? {})) if (typeof v === 'number' && v > 0) this.probes.set(k, v);
    this.forcedTile = o.tile && o.tile >= 8 ? o.tile : undefined;
    this.maxThreads = o.threads;
    if (o.force) {
      this.engine = await chooseEngine(o.force, o.base, o.forcedBy, o.threads);
      return;
    }
    const c = await candidates(o.measureCpu);
    const hit = o.cached?.key === c.key && c.names.includes(o.cached.engine) ? o.cached.engine : undefined;
    if (c.names.length === 1 || hit) {
      const ms = hit ? Object.entries(o.cached!.ms).map(([n, v]) => `${n} ${v!.toFixed(1)} ms`).join(', ') : '';
      this.engine = await chooseEngine(hit ?? c.names[0], o.base, hit ? `${c.reason}; measured fastest here earlier (${ms} per 64² tile)` : c.reason, o.threads);
    } else this.pending = c;
  }

  /**
   * Measures the candidates on the smallest-scale model when `init` left a choice open; resolves
   * the measurement to cache (undefined when nothing was measured). Without a model, the first.
   */
  async settle(): Promise<Measurement | undefined> {
    const c = this.pending;
    if (!c) return undefined;
    this.pending = undefined;
    const m = this.entries.find((e) => e.tier === 'lite') ?? this.entries[0];
    const bytes = m ? await fetch(new URL(`models/${m.file}`, this.base)).then((r) => (r.ok ? r.arrayBuffer() : null)).catch(() => null) : null;
    if (!m || !bytes) {
      this.engine = await chooseEngine(c.names[0], this.base, c.reason, this.maxThreads);
      return undefined;
    }
    const r = await measureEngines(c.names, new Uint8Array(bytes), m.scale, this.base, c.reason, c.key, this.maxThreads);
    this.engine = r.engine;
    return r.measurement;
  }

  private get choice(): TileEngine {
    if (!this.engine) throw new Error('the engine is not initialised');
    return this.engine;
  }

  /** Reads models/index.json (the models of the supported scales); on failure none, and throws. */
  async loadModelList(): Promise<void> {
    try {
      const res = await fetch(new URL('models/index.json', this.base));
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      this.entries = ((await res.json()) as { models: ModelEntry[] }).models.filter((m) => SCALES.includes(m.scale as Scale));
    } catch (e) {
      this.entries = [];
      throw e;
    }
  }

  get models(): ModelEntry[] {
    return this.entries;
  }

  /** The model x`scale` runs: this job's pick, else the lite one, else any. */
  private model(scale: number): ModelEntry | undefined {
    return this.picks.get(scale)?.entry ?? this.entries.find((m) => m.scale === scale && m.tier === 'lite') ?? this.entries.find((m) => m.scale === scale);
  }

  /** The model that x`scale` runs and why (the scale card says it). */
  modelInfo(scale: number): { file: string; tier: ModelEntry['tier']; reason: string } | undefined {
    const m = this.model(scale);
    return m && { file: m.file, tier: m.tier, reason: this.picks.get(scale)?.reason ?? `the only x${scale} model installed` };
  }

  private probeKey(m: ModelEntry): string {
    return `${this.choice.name}/${this.choice.threads}/${m.file}/${m.bytes}`;
  }

  /**
   * Chooses each scale's model for a job under `choice`. With both tiers and 'auto', a full model
   * not yet measured on this engine runs its probe tile first (probeTileMs).
   */
  async resolveTiers(scales: readonly Scale[], choice: TierChoice): Promise<void> {
    for (const scale of scales) {
      const full = this.entries.find((m) => m.scale === scale && m.tier === 'full');
      let pick = pickTier(this.entries, scale, choice, full && this.probes.get(this.probeKey(full)));
      if (!pick && full) {
        try {
          const s = await this.loadEntry(full);
          const tile = createImage(TIER_PROBE_SIDE, TIER_PROBE_SIDE);
          tile.data.fill(0.5);
          const ms = await probeTileMs(() => s.run(tile, scale));
          this.probes.set(this.probeKey(full), ms);
          this.onTierMeasured(this.probeKey(full), ms);
          pick = pickTier(this.entries, scale, choice, ms);
        } catch (e) {
          // The full model cannot run here: this job runs the lite one (and says why).
          pick = pickTier(this.entries, scale, 'lite');
          if (pick) pick = { ...pick, reason: `auto: the full model failed here (${firstLine(e)}); lite` };
        }
      }
      if (pick) this.picks.set(scale, pick);
      else this.picks.delete(scale);
    }
  }

  private tileFor(m: ModelEntry): number {
    if (this.forcedTile) return this.forcedTile;
    if (this.choice.ep === 'webgpu' && this.choice.bindingLimit) {
      const channels = channelsOf(m.metadata);
      // Bound on any intermediate's channel count: MRB concatenations, the pixel-shuffle input.
      return tileForBindingLimit(this.choice.bindingLimit, Math.max(4 * channels, 3 * m.scale * m.scale), receptiveRadiusOf(m.metadata));
    }
    return WASM_TILE;
  }

  /** The tiling of the x`scale` model under the current EP; undefined when none is installed. */
  slot(scale: number): TileSlot | undefined {
    const m = this.model(scale);
    return m ? { tile: this.tileFor(m), overlap: receptiveRadiusOf(m.metadata) } : undefined;
  }

  private maxTile(): number {
    return this.forcedTile ?? (this.entries[0] ? this.tileFor(this.entries[0]) : WASM_TILE);
  }

  /** Sends the current EP info (the badge). */
  announce(): void {
    const e = this.engine;
    this.onInfo({
      engine: e?.name ?? 'xnor-wasm',
      ep: e?.ep ?? 'wasm',
      reason: e?.reason ?? 'starting',
      threads: e?.threads ?? 0,
      allNodesOnEp: this.last ? this.last.allNodesOnEp : null,
      placement: this.last ? this.last.placement : 'no model loaded yet',
      maxTile: this.maxTile(),
    });
  }

  private async load(scale: number): Promise<SrSession> {
    const m = this.model(scale);
    if (!m) throw new Error(`no x${scale} model is installed`);
    return this.loadEntry(m);
  }

  private async loadEntry(m: ModelEntry): Promise<SrSession> {
    let p = this.cache.get(m.file);
    if (!p) {
      p = (async () => {
        const res = await fetch(new URL(`models/${m.file}`, this.base));
        if (!res.ok) throw new Error(`model ${m.file} failed to load (HTTP ${res.status})`);
        const bytes = new Uint8Array(await res.arrayBuffer());
        try {
          return await this.choice.load(bytes);
        } catch (e) {
          if (!this.choice.fallback) throw new Error(`model ${m.file} failed to load: ${firstLine(e)}`);
          // The GPU path failed for this model: fall back to the CPU for everything (one engine, one badge).
          await this.switchToCpu(`the GPU session failed (${firstLine(e)}); fell back to the CPU`);
          try {
            return await this.choice.load(bytes);
          } catch (e2) {
            throw new Error(`model ${m.file} failed to load: ${firstLine(e2)}`);
          }
        }
      })();
      this.cache.set(m.file, p);
      // A failed load is not cached: the next image retries.
      p.catch(() => this.cache.delete(m.file));
    }
    const s = await p;
    this.last = s;
    this.announce();
    return s;
  }

  /**
   * Loads the x`scale` session ahead of `run`, so start-up is timed apart from inference: resolves
   * the ms spent fetching the model and creating its session, 0 when it was cached. (A session
   * recreated by `run` after a lost GPU device counts as that run's time.)
   */
  async prepare(scale: number): Promise<number> {
    const m = this.model(scale);
    const cached = !!m && this.cache.has(m.file);
    const t0 = performance.now();
    await this.load(scale);
    return cached ? 0 : performance.now() - t0;
  }

  private async drop(): Promise<void> {
    const all = [...this.cache.values()];
    this.cache.clear();
    this.last = null;
    for (const p of all) await p.then((s) => s.release()).catch(() => undefined);
  }

  private async switchToCpu(reason: string): Promise<void> {
    await this.drop();
    const fallback = this.choice.fallback;
    if (fallback) this.engine = await fallback(reason);
    this.announce();
  }

  /**
   * Runs `f` on the x`scale` session (loaded on first use) with the model's tiling; a lost GPU
   * device is recovered once by recreating the session, then by wasm.
   */
  async run<T>(scale: number, f: (s: SrSession, slot: TileSlot) => Promise<T>): Promise<T> {
    const go = async () => {
      const s = await this.load(scale);
      return f(s, this.slot(scale)!);
    };
    try {
      return await go();
    } catch (e) {
      if (e instanceof CancelledError || !this.choice.fallback || !isDeviceLost(e)) throw e;
      await this.drop();
      try {
        return await go();
      } catch (e2) {
        if (e2 instanceof CancelledError) throw e2;
        await this.switchToCpu(`the GPU device was lost (${firstLine(e2)}); fell back to the CPU`);
        return go();
      }
    }
  }
}
