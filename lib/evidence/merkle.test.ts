import { hash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { HASH_BYTES, leafHash, MerkleTree, nodeHash, rootFromInclusionProof } from "./merkle";

// The RFC 6962 / 9162 reference leaves and tree heads (Certificate Transparency's test vectors).
const DATA = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map((h) => Buffer.from(h, "hex"));
const ROOTS = [
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];
const INCLUSION = [
  { index: 0, size: 8, path: ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"] },
  { index: 5, size: 8, path: ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"] },
];

const treeOf = (leaves: Buffer[]) => MerkleTree.fromLeafHashes(Buffer.concat(leaves));

/** RFC 9162 §2.1.1 as written: the recursive definition, to compare the level-by-level build with. */
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return hash("sha256", Buffer.alloc(0), "buffer");
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

describe("Merkle tree (RFC 9162)", () => {
  it("matches the reference tree heads for sizes 0 to 8", () => {
    const leaves = DATA.map(leafHash);
    for (let n = 0; n <= 8; n++) expect(treeOf(leaves.slice(0, n)).root().toString("hex"), `size ${n}`).toBe(ROOTS[n]);
  });

  it("gives the reference audit paths, and they lead to the reference root", () => {
    const tree = treeOf(DATA.map(leafHash));
    for (const v of INCLUSION) {
      expect(tree.auditPath(v.index).map((b) => b.toString("hex"))).toEqual(v.path);
      const root = rootFromInclusionProof(leafHash(DATA[v.index]!), v.index, v.size, v.path.map((h) => Buffer.from(h, "hex")));
      expect(root?.toString("hex")).toBe(ROOTS[8]);
    }
  });

  it("agrees with the recursive definition, and every leaf's proof verifies, for every size to 70; a wrong index, leaf or length does not", () => {
    const all = Array.from({ length: 70 }, (_, i) => leafHash(Buffer.from([i, i * 7 % 256])));
    for (let n = 1; n <= all.length; n++) {
      const leaves = all.slice(0, n);
      const tree = treeOf(leaves);
      const root = tree.root();
      expect(root.equals(mth(leaves)), `size ${n}`).toBe(true);
      for (let i = 0; i < n; i++) {
        const path = tree.auditPath(i);
        expect(rootFromInclusionProof(leaves[i]!, i, n, path)?.equals(root), `leaf ${i} of ${n}`).toBe(true);
        if (n > 1) {
          expect(rootFromInclusionProof(leaves[i]!, (i + 1) % n, n, path)?.equals(root) ?? false).toBe(false);
          expect(rootFromInclusionProof(leaves[(i + 1) % n]!, i, n, path)?.equals(root) ?? false).toBe(false);
        }
        expect(rootFromInclusionProof(leaves[i]!, i, n, [...path, root])).toBeNull(); // a path too long
      }
    }
  });

  it("builds a million-leaf tree in seconds, and a path is 20 hashes", () => {
    const n = 1_000_000;
    const leaves = Buffer.allocUnsafe(n * HASH_BYTES);
    for (let i = 0; i < n; i++) leaves.writeUInt32BE(i, i * HASH_BYTES);
    const started = performance.now();
    const tree = MerkleTree.fromLeafHashes(leaves);
    const seconds = (performance.now() - started) / 1000;
    expect(seconds).toBeLessThan(10);
    const path = tree.auditPath(123_456);
    expect(path).toHaveLength(20);
    expect(rootFromInclusionProof(leaves.subarray(123_456 * 32, 123_457 * 32), 123_456, n, path)?.equals(tree.root())).toBe(true);
  }, 30_000);
});
