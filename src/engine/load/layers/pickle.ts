import { badInput, unsupported } from '../../errors';

/**
 * A pickle reader that never executes anything. It understands the opcodes torch.save writes
 * (protocols 2-5) and builds plain values; the only callables are a fixed allow-list of
 * globals, each replaced by our own pure implementation:
 * - collections.OrderedDict           -> a Map
 * - torch._utils._rebuild_tensor_v2   -> a TensorRef (storage, offset, size, stride)
 * - torch.<Type>Storage               -> a storage type marker inside persistent ids
 * Any other global is refused before it is used. Whole pickled modules (torch.nn.*) get a
 * message that asks for the state_dict instead.
 */
export interface StorageRef {
  kind: 'storage';
  storageType: string;  // e.g. 'FloatStorage'
  key: string;          // entry name under data/
  numel: number;
}

export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  size: number[];
  stride: number[];
}

export type PickleValue =
  | null | boolean | number | bigint | string | Uint8Array
  | PickleValue[] | PickleTuple | Map<PickleValue, PickleValue> | PickleDict
  | GlobalRef | StorageRef | TensorRef | PickleSet;

export class PickleTuple {
  constructor(readonly items: PickleValue[]) {}
}
export class PickleDict {
  readonly entries = new Map<string, PickleValue>();
}
export class PickleSet {
  constructor(readonly items: PickleValue[]) {}
}
export class GlobalRef {
  constructor(readonly module: string, readonly name: string) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

export const FLOAT_STORAGES = ['FloatStorage', 'DoubleStorage', 'HalfStorage', 'BFloat16Storage'];
export const INTEGER_STORAGES = ['LongStorage', 'IntStorage', 'ShortStorage', 'CharStorage', 'ByteStorage', 'BoolStorage'];

export interface UnpickleOptions {
  /** Storage type names accepted in persistent ids. */
  storages: readonly string[];
  /** Most opcodes executed: a corrupt or hostile pickle cannot loop for long. */
  maxOps?: number;
}

class Mark {}

type StackItem = PickleValue | Mark;

const MODULE_HINT = /^torch\.nn\.|^__main__$|^torch\.nn$/;

function refuseGlobal(module: string, name: string, file: string): never {
  const qualified = `${module}.${name}`;
  if (module === 'torch._utils' && name === '_rebuild_parameter') {
    throw unsupported(
      file,
      `the file holds nn.Parameter objects (${qualified}), not plain tensors; save the state_dict instead: torch.save(model.state_dict(), 'model.pt')`,
    );
  }
  if (MODULE_HINT.test(module)) {
    throw unsupported(
      file,
      `this file is a whole pickled module (it references ${qualified}); Flatness Lens never runs pickled code. ` +
        `Save the state_dict instead: torch.save(model.state_dict(), 'model.pt')`,
    );
  }
  throw unsupported(
    file,
    `the pickle references ${qualified}, which is not allowed: Flatness Lens reads only tensors in a dict (a state_dict or {'X': tensor, 'y': tensor}) and never runs code from a file`,
  );
}

export function unpickle(bytes: Uint8Array, file: string, options: UnpickleOptions): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: StackItem[] = [];
  const marks: number[] = [];
  const memo = new Map<number, StackItem>();
  const decoder = new TextDecoder('utf-8');
  const maxOps = options.maxOps ?? 10_000_000;
  let position = 0;
  let ops = 0;

  const need = (count: number) => {
    if (!Number.isSafeInteger(count) || count < 0 || position + count > bytes.length) throw badInput(file, 'the pickle is truncated');
  };
  const u8 = () => { need(1); return bytes[position++]!; };
  const u16 = () => { need(2); const v = view.getUint16(position, true); position += 2; return v; };
  const u32 = () => { need(4); const v = view.getUint32(position, true); position += 4; return v; };
  const i32 = () => { need(4); const v = view.getInt32(position, true); position += 4; return v; };
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(position, true);
    position += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw badInput(file, 'the pickle declares an impossible length');
    return Number(v);
  };
  const take = (count: number) => { need(count); const v = bytes.subarray(position, position + count); position += count; return v; };
  const line = () => {
    const end = bytes.indexOf(0x0a, position);
    if (end < 0) throw badInput(file, 'the pickle is truncated');
    const text = decoder.decode(bytes.subarray(position, end));
    position = end + 1;
    return text;
  };
  const pop = (): StackItem => {
    if (stack.length === 0) throw badInput(file, 'the pickle is corrupt (stack underflow)');
    return stack.pop()!;
  };
  const popValue = (): PickleValue => {
    const item = pop();
    if (item instanceof Mark) throw badInput(file, 'the pickle is corrupt (unexpected mark)');
    return item;
  };
  const top = (): StackItem => {
    if (stack.length === 0) throw badInput(file, 'the pickle is corrupt (stack underflow)');
    return stack[stack.length - 1]!;
  };
  const popMark = (): PickleValue[] => {
    const at = marks.pop();
    if (at === undefined || at > stack.length) throw badInput(file, 'the pickle is corrupt (missing mark)');
    const items = stack.splice(at);
    if (items.some((item) => item instanceof Mark)) throw badInput(file, 'the pickle is corrupt (nested mark)');
    return items as PickleValue[];
  };
  const setItem = (target: StackItem, key: PickleValue, value: PickleValue) => {
    if (target instanceof PickleDict) {
      if (typeof key !== 'string' && typeof key !== 'number') throw badInput(file, 'the pickle holds a dict with a non-string key');
      target.entries.set(String(key), value);
    } else if (target instanceof Map) {
      target.set(key, value);
    } else {
      throw badInput(file, 'the pickle sets an item on something that is not a dict');
    }
  };
  const global = (module: string, name: string): GlobalRef => {
    const allowed =
      (module === 'collections' && name === 'OrderedDict') ||
      (module === 'torch._utils' && name === '_rebuild_tensor_v2') ||
      (module === 'torch' && options.storages.includes(name));
    if (!allowed && module === 'torch' && INTEGER_STORAGES.includes(name)) {
      throw unsupported(file, `the file holds integer tensors (torch.${name}); a model file must hold only the floating-point weights of a two-layer network`);
    }
    if (!allowed) refuseGlobal(module, name, file);
    return new GlobalRef(module, name);
  };
  const call = (callable: PickleValue, args: PickleValue): PickleValue => {
    if (!(callable instanceof GlobalRef)) throw badInput(file, 'the pickle calls something that is not an allowed function');
    const list = args instanceof PickleTuple ? args.items : [];
    if (callable.name === 'OrderedDict') return new Map<PickleValue, PickleValue>();
    if (callable.name === '_rebuild_tensor_v2') return rebuildTensor(list, file);
    throw unsupported(file, `the pickle calls ${callable.qualified}, which is only allowed as a storage type`);
  };
  const persistent = (pid: PickleValue): StorageRef => {
    const items = pid instanceof PickleTuple ? pid.items : [];
    const [tag, storageType, key, , numel] = items;
    if (tag !== 'storage' || !(storageType instanceof GlobalRef) || (typeof key !== 'string' && typeof key !== 'number') || typeof numel !== 'number') {
      throw badInput(file, 'the pickle has a persistent id that is not a torch storage');
    }
    if (!Number.isSafeInteger(numel) || numel < 0) throw badInput(file, `storage ${key} declares ${numel} elements`);
    return { kind: 'storage', storageType: storageType.name, key: String(key), numel };
  };

  for (;;) {
    if (++ops > maxOps) throw badInput(file, 'the pickle is too long (operation limit reached)');
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME
      case 0x2e: { // STOP
        const result = popValue();
        return result;
      }
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x29: stack.push(new PickleTuple([])); break; // EMPTY_TUPLE
      case 0x74: stack.push(new PickleTuple(popMark())); break; // TUPLE
      case 0x85: stack.push(new PickleTuple([popValue()])); break; // TUPLE1
      case 0x86: { const b = popValue(); const a = popValue(); stack.push(new PickleTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = popValue(); const b = popValue(); const a = popValue(); stack.push(new PickleTuple([a, b, c])); break; } // TUPLE3
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x7d: stack.push(new PickleDict()); break; // EMPTY_DICT
      case 0x64: { // DICT
        const items = popMark();
        const dict = new PickleDict();
        for (let i = 0; i + 1 < items.length; i += 2) setItem(dict, items[i]!, items[i + 1]!);
        stack.push(dict);
        break;
      }
      case 0x8f: stack.push(new PickleSet([])); break; // EMPTY_SET
      case 0x90: { const items = popMark(); const set = top(); if (set instanceof PickleSet) for (const item of items) set.items.push(item); else throw badInput(file, 'the pickle adds items to something that is not a set'); break; } // ADDITEMS
      case 0x91: stack.push(new PickleSet(popMark())); break; // FROZENSET
      case 0x61: { const value = popValue(); const list = top(); if (!Array.isArray(list)) throw badInput(file, 'the pickle appends to something that is not a list'); list.push(value); break; } // APPEND
      case 0x65: { const items = popMark(); const list = top(); if (!Array.isArray(list)) throw badInput(file, 'the pickle appends to something that is not a list'); for (const item of items) list.push(item); break; } // APPENDS
      case 0x73: { const value = popValue(); const key = popValue(); setItem(top(), key, value); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        const target = top();
        for (let i = 0; i + 1 < items.length; i += 2) setItem(target, items[i]!, items[i + 1]!);
        break;
      }
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x8a: { // LONG1
        const length = u8();
        const raw = take(length);
        let value = 0n;
        for (let i = raw.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(raw[i]!);
        if (length > 0 && raw[length - 1]! & 0x80) value -= 1n << BigInt(8 * length);
        stack.push(value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value);
        break;
      }
      case 0x47: { need(8); stack.push(view.getFloat64(position, false)); position += 8; break; } // BINFLOAT
      case 0x49: { // INT (text)
        const text = line();
        stack.push(text === '01' ? true : text === '00' ? false : Number.parseInt(text, 10));
        break;
      }
      case 0x4c: stack.push(Number.parseInt(line().replace(/L$/, ''), 10)); break; // LONG (text)
      case 0x46: stack.push(Number.parseFloat(line())); break; // FLOAT (text)
      case 0x58: stack.push(decoder.decode(take(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(decoder.decode(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(decoder.decode(take(u64()))); break; // BINUNICODE8
      case 0x54: stack.push(decoder.decode(take(u32()))); break; // BINSTRING
      case 0x55: stack.push(decoder.decode(take(u8()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(take(u64()).slice()); break; // BINBYTES8
      case 0x56: stack.push(line()); break; // UNICODE (text)
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x70: memo.set(Number.parseInt(line(), 10), top()); break; // PUT
      case 0x68: case 0x6a: case 0x67: { // BINGET, LONG_BINGET, GET
        const index = op === 0x68 ? u8() : op === 0x6a ? u32() : Number.parseInt(line(), 10);
        const value = memo.get(index);
        if (value === undefined) throw badInput(file, `the pickle refers to memo entry ${index}, which was never stored`);
        stack.push(value);
        break;
      }
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        stack.push(global(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = popValue();
        const module = popValue();
        if (typeof module !== 'string' || typeof name !== 'string') throw badInput(file, 'the pickle has a malformed global reference');
        stack.push(global(module, name));
        break;
      }
      case 0x52: { const args = popValue(); const callable = popValue(); stack.push(call(callable, args)); break; } // REDUCE
      case 0x51: stack.push(persistent(popValue())); break; // BINPERSID
      case 0x62: popValue(); break; // BUILD: state for OrderedDict (_metadata) is not needed
      case 0x81: case 0x92: { // NEWOBJ, NEWOBJ_EX
        if (op === 0x92) popValue();
        popValue();
        const cls = popValue();
        if (cls instanceof GlobalRef && cls.name === 'OrderedDict') { stack.push(new Map()); break; }
        throw badInput(file, 'the pickle creates an object of a class that is not allowed');
      }
      case 0x69: { // INST (text): module, name
        const module = line();
        const name = line();
        refuseGlobal(module, name, file);
        break;
      }
      case 0x6f: throw badInput(file, 'the pickle uses OBJ, which would construct arbitrary objects');
      case 0x50: throw badInput(file, 'the pickle uses text persistent ids, which torch.save does not write');
      default:
        throw badInput(file, `the pickle is corrupt or uses an unsupported opcode 0x${op.toString(16).padStart(2, '0')} at byte ${position - 1}`);
    }
  }
}

function rebuildTensor(args: PickleValue[], file: string): TensorRef {
  const [storage, offset, size, stride] = args;
  const ints = (value: PickleValue | undefined): number[] | null => {
    const items = value instanceof PickleTuple ? value.items : Array.isArray(value) ? value : null;
    if (items === null || !items.every((item): item is number => typeof item === 'number' && Number.isSafeInteger(item) && item >= 0)) return null;
    return items;
  };
  const sizes = ints(size);
  const strides = ints(stride);
  if (
    typeof storage !== 'object' || storage === null || !('kind' in storage) || storage.kind !== 'storage' ||
    typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0 ||
    sizes === null || strides === null || sizes.length !== strides.length
  ) {
    throw badInput(file, 'the pickle rebuilds a tensor with malformed arguments');
  }
  return { kind: 'tensor', storage, offset, size: sizes, stride: strides };
}
