// The Merkle tree over the sealed audit chain (RFC 9162 §2.1): what a signed tree head commits to
// and what an export's inclusion proofs are checked against. Leaf i (0-based) is event seq i+1:
//   leaf = SHA-256(0x00 || event hash bytes), node = SHA-256(0x01 || left || right),
// and a tree of n leaves splits at the largest power of two below n. Pure: no database, no clock.
import { hash } from "node:crypto";

export const HASH_BYTES = 32;

/** SHA-256(0x00 || data): the hash of a leaf whose data is `data` (for an event: its 32 hash bytes). */
export function leafHash(data: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(1 + data.length);
  input[0] = 0;
  input.set(data, 1);
  return hash("sha256", input, "buffer");
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(1 + left.length + right.length);
  input[0] = 1;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return hash("sha256", input, "buffer");
}

/**
 * A tree built once, bottom up, one buffer per level. Pairing neighbours and carrying an unpaired
 * last node up unchanged gives exactly RFC 9162's tree for any size (its split at the largest
 * power of two below n puts every odd node out at the right edge), so an audit path is the
 * sibling at each level where there is one. A million leaves: ~2 M hashes and ~64 MB, once.
 */
export class MerkleTree {
  private constructor(private readonly levels: Buffer[]) {}

  get size(): number {
    return this.levels[0]!.length / HASH_BYTES;
  }

  /** From the leaf hashes (already SHA-256(0x00 || data)), concatenated. */
  static fromLeafHashes(leaves: Buffer): MerkleTree {
    if (leaves.length % HASH_BYTES !== 0) throw new Error("leaf hashes must be 32 bytes each");
    const levels = [leaves];
    const input = Buffer.allocUnsafe(1 + 2 * HASH_BYTES);
    input[0] = 1;
    let level = leaves;
    while (level.length > HASH_BYTES) {
      const n = level.length / HASH_BYTES;
      const next = Buffer.allocUnsafe(Math.ceil(n / 2) * HASH_BYTES);
      for (let i = 0; i + 1 < n; i += 2) {
        // The two children are adjacent in their level: one copy into the 0x01-prefixed input.
        level.copy(input, 1, i * HASH_BYTES, (i + 2) * HASH_BYTES);
        hash("sha256", input, "buffer").copy(next, (i / 2) * HASH_BYTES);
      }
      if (n % 2 === 1) level.copy(next, next.length - HASH_BYTES, level.length - HASH_BYTES);
      levels.push(next);
      level = next;
    }
    return new MerkleTree(levels);
  }

  /** From the audit events' hashes (hex, in seq order from 1). */
  static fromEventHashes(hexHashes: Iterable<string>): MerkleTree {
    const list = Array.isArray(hexHashes) ? (hexHashes as string[]) : [...hexHashes];
    const leaves = Buffer.allocUnsafe(list.length * HASH_BYTES);
    list.forEach((h, i) => leafHash(Buffer.from(h, "hex")).copy(leaves, i * HASH_BYTES));
    return MerkleTree.fromLeafHashes(leaves);
  }

  /** The root (MTH); the empty tree's is SHA-256 of nothing. */
  root(): Buffer {
    if (this.size === 0) return hash("sha256", Buffer.alloc(0), "buffer");
    const top = this.levels.at(-1)!;
    return top.subarray(0, HASH_BYTES);
  }

  /** The audit path of leaf `index` (0-based), from the leaf's sibling up to the root's child. */
  auditPath(index: number): Buffer[] {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) throw new RangeError(`leaf ${index} is not in a tree of ${this.size}`);
    const path: Buffer[] = [];
    let i = index;
    for (let l = 0; l < this.levels.length - 1; l++) {
      const level = this.levels[l]!;
      const sibling = i ^ 1;
      if (sibling * HASH_BYTES < level.length) path.push(level.subarray(sibling * HASH_BYTES, (sibling + 1) * HASH_BYTES));
      i >>= 1;
    }
    return path;
  }
}

/**
 * RFC 9162 §2.1.3.2: the root an inclusion proof leads to from `leaf` (a leaf hash) at `index` in a
 * tree of `size`, or null when the proof cannot belong to such a tree (wrong length).
 */
export function rootFromInclusionProof(leaf: Uint8Array, index: number, size: number, path: readonly Uint8Array[]): Buffer | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/**
 * RFC 9162's root of leaves given one at a time, in O(log n) memory: complete subtrees are merged
 * as they fill (a binary counter), and the ragged right edge is folded in from the right at the end.
 * For an export whose rows are the whole tree, which needs the root and no audit path.
 */
export class MerkleRootBuilder {
  private readonly stack: { hash: Buffer; size: number }[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds the next leaf hash (SHA-256(0x00 || data)). */
  add(leaf: Uint8Array): void {
    let top: { hash: Buffer; size: number } = { hash: Buffer.from(leaf), size: 1 };
    while (this.stack.length > 0 && this.stack.at(-1)!.size === top.size) {
      const left = this.stack.pop()!;
      top = { hash: nodeHash(left.hash, top.hash), size: left.size * 2 };
    }
    this.stack.push(top);
    this.count++;
  }

  root(): Buffer {
    if (this.stack.length === 0) return hash("sha256", Buffer.alloc(0), "buffer");
    let r = this.stack.at(-1)!.hash;
    for (let i = this.stack.length - 2; i >= 0; i--) r = nodeHash(this.stack[i]!.hash, r);
    return r;
  }
}
