/**
 * Writes a FoundNetwork (report.flattest.network) as a safetensors file with PyTorch
 * nn.Sequential(Linear, act, Linear) names: `0.weight` (m x d), `0.bias` (m), `2.weight` (c x m),
 * `2.bias` (c), all F32 little-endian, and `__metadata__.activation` so loadModel reads it back.
 */
import type { FoundNetwork } from '../../shared/report';
import { badInput } from '../errors';

interface Entry {
  name: string;
  shape: number[];
  values: readonly number[];
}

function entriesOf(network: FoundNetwork): Entry[] {
  const { inputDim: d, hiddenDim: m, outputDim: c } = network;
  const check = (name: string, values: readonly number[], expected: number): void => {
    if (values.length !== expected) throw badInput(undefined, `flattest network: ${name} has ${values.length} values, expected ${expected}`);
    if (!values.every(Number.isFinite)) throw badInput(undefined, `flattest network: ${name} holds a non-finite value`);
  };
  const entries: Entry[] = [{ name: '0.weight', shape: [m, d], values: network.hiddenWeights }];
  if (network.hiddenBias) entries.push({ name: '0.bias', shape: [m], values: network.hiddenBias });
  entries.push({ name: '2.weight', shape: [c, m], values: network.outputWeights });
  if (network.outputBias) entries.push({ name: '2.bias', shape: [c], values: network.outputBias });
  for (const entry of entries) check(entry.name, entry.values, entry.shape.reduce((a, b) => a * b, 1));
  return entries;
}

export function foundNetworkToSafetensors(network: FoundNetwork): Uint8Array {
  const entries = entriesOf(network);
  const header: Record<string, unknown> = { __metadata__: { activation: network.activation, format: 'pt' } };
  let offset = 0;
  for (const entry of entries) {
    const bytes = entry.values.length * 4;
    header[entry.name] = { dtype: 'F32', shape: entry.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  // Pad the header with spaces so the tensor data starts 8-byte aligned (as the reference writer does).
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const entry of entries) {
    for (const value of entry.values) {
      view.setFloat32(position, value, true);
      position += 4;
    }
  }
  return out;
}
