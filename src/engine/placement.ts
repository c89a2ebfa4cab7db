/** Reads ORT's node-placement log lines (session creation, logSeverityLevel 0). No ORT import: testable in Node. */
import type { EpName } from './protocol';

/** Summarise ORT's placement log lines for the badge. */
export function parsePlacement(ep: EpName, lines: string[]): { allNodesOnEp: boolean | null; placement: string } {
  if (ep === 'wasm') return { allNodesOnEp: true, placement: 'all nodes on the CPU EP (the only EP)' };
  const all = lines.find((l) => /All nodes placed on \[WebGpuExecutionProvider\]/.test(l));
  if (all) return { allNodesOnEp: true, placement: 'all nodes on GPU (ORT log)' };
  const cpu = lines.filter((l) => /Node\(s\) placed on \[CPUExecutionProvider\]/.test(l));
  if (cpu.length) {
    const detail = lines
      .filter((l) => /^\s*(.*Node\(s\) placed on \[CPUExecutionProvider\]|\s+\w+ \(.*\))/.test(l))
      .join(' ')
      .replace(/\s+/g, ' ')
      .slice(0, 300);
    return { allNodesOnEp: false, placement: `some nodes on CPU: ${detail}` };
  }
  return { allNodesOnEp: null, placement: 'placement unknown (no ORT placement log captured)' };
}

