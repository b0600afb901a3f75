/**
 * The few protobuf wire-format primitives an ONNX ModelProto needs: varints, length-delimited
 * fields and fixed32 floats. Messages are encoded bottom-up into byte arrays.
 */
export class ProtoWriter {
  private buffer = new Uint8Array(256);
  private length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  private varint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new RangeError(`varint out of range: ${value}`);
    this.reserve(10);
    // Negative int64 values take ten bytes in two's complement.
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 127n) {
      this.buffer[this.length++] = Number(v & 127n) | 128;
      v >>= 7n;
    }
    this.buffer[this.length++] = Number(v);
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  int(field: number, value: number): this {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    this.reserve(4);
    new DataView(this.buffer.buffer, this.length, 4).setFloat32(0, value, true);
    this.length += 4;
    return this;
  }

  bytes(field: number, payload: Uint8Array): this {
    this.tag(field, 2);
    this.varint(payload.length);
    this.reserve(payload.length);
    this.buffer.set(payload, this.length);
    this.length += payload.length;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, encode: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    encode(inner);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated varint field. */
  packedInts(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const value of values) inner.varint(value);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/** Little-endian bytes of a float32 array (ONNX raw_data). */
export function littleEndianBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let k = 0; k < values.length; k++) view.setFloat32(4 * k, values[k]!, true);
  return out;
}
