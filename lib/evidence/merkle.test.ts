import { hash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "@/lib/audit/canonical";
import { rowsDigest } from "./export-format";
import { HASH_BYTES, leafHash, MerkleRootBuilder, MerkleTree, nodeHash, rootFromInclusionProof } from "./merkle";

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

  it("the streaming root (O(log n) memory) equals the tree's root for every size to 300", () => {
    const leaves = Array.from({ length: 300 }, (_, i) => leafHash(Buffer.from([i % 256, i >> 8])));
    const builder = new MerkleRootBuilder();
    expect(builder.root().toString("hex")).toBe(ROOTS[0]);
    for (let n = 1; n <= leaves.length; n++) {
      builder.add(leaves[n - 1]!);
      expect(builder.root().equals(treeOf(leaves.slice(0, n)).root()), `size ${n}`).toBe(true);
    }
  });

  // Timing is the bench's (scripts/bench/export-verify.ts); here, a large ragged tree is right.
  it("builds a large ragged tree level by level: a path of 17 hashes that leads to its root", () => {
    const n = 100_003;
    const leaves = Buffer.allocUnsafe(n * HASH_BYTES);
    for (let i = 0; i < n; i++) leaves.writeUInt32BE(i, i * HASH_BYTES);
    const tree = MerkleTree.fromLeafHashes(leaves);
    for (const i of [0, 65_535, 65_536, 100_000, 100_002]) {
      const path = tree.auditPath(i);
      expect(path.length).toBeLessThanOrEqual(17);
      expect(rootFromInclusionProof(leaves.subarray(i * 32, (i + 1) * 32), i, n, path)?.equals(tree.root()), `leaf ${i}`).toBe(true);
    }
    expect(tree.auditPath(12_345)).toHaveLength(17);
  });
});

describe("the documented export vector (README, Audit exports)", () => {
  it("three events: their hashes, leaves, tree head, audit paths and the rows digest of [#3, #1]", () => {
    const hashes: string[] = [];
    let prev = "0".repeat(64);
    for (let seq = 1; seq <= 3; seq++) {
      const content = {
        seq,
        event_id: `00000000-0000-4000-8000-00000000000${seq}`,
        occurred_at: `2027-01-01T00:00:0${seq}.000Z`,
        type: "auth.signed_in",
        actor: { kind: "user", id: "ann@acme.test", display: "Ann", idp: "okta", groups: ["auditors"] },
        channel: "console",
        request_id: null,
        agent_id: null,
        action: null,
        environment: null,
        risk_level: null,
        outcome: null,
        payload: {},
      };
      prev = sha256Hex(prev + canonicalJson(content));
      hashes.push(prev);
    }
    expect(canonicalJson({ seq: 1, actor: { kind: "user", groups: ["auditors"] }, payload: {} })).toBe('{"actor":{"groups":["auditors"],"kind":"user"},"payload":{},"seq":1}');
    expect(hashes).toEqual([
      "c228dec30a2c7c538e8d98f5963611be05ad8f9619421a09c1fba2f7de8fced4",
      "49e702c8867e3ff27a97b969db4ab1bf60a7253530f77e3f2a8685ec8e43977e",
      "53502bef7ea9cbdd9f7f5e8312258c7c8876b1efd4e429848f4af46b784e08da",
    ]);
    expect(hashes.map((h) => leafHash(Buffer.from(h, "hex")).toString("hex"))).toEqual([
      "063ade35e5f91755d7ad894264d4e4d4e72327aa4e8f337e7eab0455c8020c1d",
      "1794a851840df12283876aec85e3988aa00f14d9a8a236bc04fc6fc60528ad16",
      "db5b22eaa0b5202a6e243387f848efca70333d6c57f26b02525023bbc30b718f",
    ]);
    const tree = MerkleTree.fromEventHashes(hashes);
    expect(tree.root().toString("hex")).toBe("09fb2aea79ab3885ea99cad381bb76a78f8cd6aab63939661cd54cf0bccf5d0b");
    expect(tree.auditPath(1).map((b) => b.toString("hex"))).toEqual([
      "063ade35e5f91755d7ad894264d4e4d4e72327aa4e8f337e7eab0455c8020c1d",
      "db5b22eaa0b5202a6e243387f848efca70333d6c57f26b02525023bbc30b718f",
    ]);
    expect(tree.auditPath(2).map((b) => b.toString("hex"))).toEqual(["c5a072646efe21228d87c85ba6e62b1b90ad91cbc2785928771e446235ad4c19"]);
    const digest = rowsDigest();
    digest.add(hashes[2]!);
    digest.add(hashes[0]!);
    expect(digest.hex()).toBe("6d895fbf55d18082b6fdfe9aa9924c1ec1fc428868d8a034e247e39e7f134f12");
  });
});
