import { describe, expect, it } from "vitest";
import { PutModes, type ObjectStore } from "@wal/core";
import type { ConformanceOptions } from "./run-conformance.js";
import { SLOW_TIMEOUT_MS, expectStoreError, text, utf8 } from "./helpers.js";

const CREATORS = 20;
const CAS_WORKERS = 5;
const CAS_INCREMENTS = 10;

/** Create-if-absent and update-if-version, each asserted as NotImplemented when not declared. */
export function conditionalCases({ create, capabilities }: ConformanceOptions): void {
  describe("create-if-absent", () => {
    if (!capabilities.create) {
      it("rejects create puts with NotImplemented", async () => {
        const store = await create();
        await expectStoreError(store.put("cond/k", utf8("x"), { mode: PutModes.create }), "NotImplemented", store, "cond/k");
        await expectStoreError(store.head("cond/k"), "NotFound", store, "cond/k");
      });
      return;
    }

    it("creates an absent key and refuses a second create, keeping the original", async () => {
      const store = await create();
      const first = await store.put("cond/once", utf8("original"), { mode: PutModes.create });
      expect(first.version.length).toBeGreaterThan(0);
      await expectStoreError(store.put("cond/once", utf8("intruder"), { mode: PutModes.create }), "AlreadyExists", store, "cond/once");
      const got = await store.get("cond/once");
      expect(text(got.bytes)).toBe("original");
      expect(got.meta.version).toBe(first.version);
    });

    it("creates again after a delete", async () => {
      const store = await create();
      await store.put("cond/again", utf8("1"), { mode: PutModes.create });
      await store.delete("cond/again");
      await store.put("cond/again", utf8("2"), { mode: PutModes.create });
      expect(text((await store.get("cond/again")).bytes)).toBe("2");
    });

    it(
      `lets exactly one of ${CREATORS} concurrent creators win`,
      async () => {
        const store = await create();
        const outcomes = await Promise.allSettled(
          Array.from({ length: CREATORS }, (_, i) =>
            store.put("cond/race", utf8(`creator-${i}`), { mode: PutModes.create }),
          ),
        );
        const winners = outcomes.flatMap((o, i) => (o.status === "fulfilled" ? [i] : []));
        expect(winners).toHaveLength(1);
        for (const o of outcomes) {
          if (o.status === "rejected") {
            expect((o.reason as { code?: string }).code, String(o.reason)).toBe("AlreadyExists");
          }
        }
        const got = await store.get("cond/race");
        expect(text(got.bytes)).toBe(`creator-${winners[0]}`);
        const won = outcomes[winners[0]!] as PromiseFulfilledResult<{ version: string }>;
        expect(got.meta.version).toBe(won.value.version);
      },
      SLOW_TIMEOUT_MS,
    );
  });

  describe("update-if-version", () => {
    if (!capabilities.update) {
      it("rejects update puts with NotImplemented and leaves the object alone", async () => {
        const store = await create();
        const { version } = await store.put("cond/u", utf8("kept"), { mode: PutModes.overwrite });
        await expectStoreError(store.put("cond/u", utf8("new"), { mode: PutModes.update(version) }), "NotImplemented", store, "cond/u");
        expect(text((await store.get("cond/u")).bytes)).toBe("kept");
      });
      return;
    }

    it("replaces the object when the version matches and returns a new version", async () => {
      const store = await create();
      const v1 = await store.put("cond/u", utf8("one"), { mode: PutModes.overwrite });
      const v2 = await store.put("cond/u", utf8("two"), { mode: PutModes.update(v1.version) });
      expect(v2.version).not.toBe(v1.version);
      const got = await store.get("cond/u");
      expect(text(got.bytes)).toBe("two");
      expect(got.meta.version).toBe(v2.version);
    });

    it("refuses a stale version with PreconditionFailed and keeps the newer object", async () => {
      const store = await create();
      const v1 = await store.put("cond/u", utf8("one"), { mode: PutModes.overwrite });
      await store.put("cond/u", utf8("two"), { mode: PutModes.overwrite });
      await expectStoreError(store.put("cond/u", utf8("stale"), { mode: PutModes.update(v1.version) }), "PreconditionFailed", store, "cond/u");
      expect(text((await store.get("cond/u")).bytes)).toBe("two");
    });

    it("refuses an update of a missing key with PreconditionFailed and creates nothing", async () => {
      const store = await create();
      const { version } = await store.put("cond/gone", utf8("x"), { mode: PutModes.overwrite });
      await store.delete("cond/gone");
      await expectStoreError(store.put("cond/gone", utf8("y"), { mode: PutModes.update(version) }), "PreconditionFailed", store, "cond/gone");
      await expectStoreError(store.put("cond/never", utf8("y"), { mode: PutModes.update(version) }), "PreconditionFailed", store, "cond/never");
      await expectStoreError(store.head("cond/gone"), "NotFound", store, "cond/gone");
      await expectStoreError(store.head("cond/never"), "NotFound", store, "cond/never");
    });

    it(
      `counts to exactly ${CAS_WORKERS * CAS_INCREMENTS} with ${CAS_WORKERS} workers doing compare-and-swap increments`,
      async () => {
        const store = await create();
        await store.put("cond/counter", utf8("0"), { mode: PutModes.overwrite });
        const worker = async (): Promise<void> => {
          for (let done = 0; done < CAS_INCREMENTS; ) {
            if (await tryIncrement(store, "cond/counter")) done++;
          }
        };
        await Promise.all(Array.from({ length: CAS_WORKERS }, worker));
        expect(text((await store.get("cond/counter")).bytes)).toBe(String(CAS_WORKERS * CAS_INCREMENTS));
      },
      SLOW_TIMEOUT_MS,
    );
  });
}

/** One read-modify-write; false when a peer won the race (or the store asked for a retry). */
async function tryIncrement(store: ObjectStore, key: string): Promise<boolean> {
  const { bytes, meta } = await store.get(key);
  const next = Number(text(bytes)) + 1;
  try {
    await store.put(key, utf8(String(next)), { mode: PutModes.update(meta.version) });
    return true;
  } catch (e) {
    const err = e as { code?: string; retryable?: boolean };
    if (err.code === "PreconditionFailed" || err.retryable === true) return false;
    throw e;
  }
}
