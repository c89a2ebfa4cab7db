/**
 * The WebGPU adapter as the engine choice sees it: present or not, hardware or a software fallback
 * (SwiftShader, a CPU Vulkan: ~50× slower than wasm), and its buffer binding limit. No ORT here,
 * so probing the GPU downloads nothing.
 */
export interface GpuProbe {
  adapter: GPUAdapter | null;
  /** Why there is no adapter. */
  why: string;
  fallback: boolean;
  description: string;
  bindingLimit?: number;
}

function describeAdapter(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'unknown adapter';
  return [info.vendor, info.architecture, info.description].filter(Boolean).join(' / ') || 'unnamed adapter';
}

export async function probeGpu(): Promise<GpuProbe> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return { adapter: null, why: 'this browser exposes no GPU API (navigator.gpu)', fallback: false, description: '' };
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return { adapter: null, why: `GPU adapter request failed (${(e as Error).message})`, fallback: false, description: '' };
  }
  if (!adapter) return { adapter: null, why: 'no GPU adapter available', fallback: false, description: '' };
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).info;
  const fallback = !!(info?.isFallbackAdapter ?? (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter);
  return { adapter, why: '', fallback, description: describeAdapter(info), bindingLimit: adapter.limits.maxStorageBufferBindingSize };
}
