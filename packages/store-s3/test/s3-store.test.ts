import { describe, expect, it } from "vitest";
import { NotImplementedError, PutModes } from "@wal/core";
import { S3Store } from "../src/index.js";

/**
 * A client that records the input of each command it is given and answers with a canned response.
 * It checks what the store asks S3 for; what S3 does with it is the conformance suite's job.
 */
function recordingClient(answer: (name: string, input: Record<string, unknown>) => unknown) {
  const sent: Array<{ name: string; input: Record<string, unknown> }> = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      return answer(command.constructor.name, command.input);
    },
  };
  return { sent, client: client as unknown as ConstructorParameters<typeof S3Store>[0]["client"] };
}

const bytes = new TextEncoder().encode("abc");

describe("S3Store requests", () => {
  it("stores keys under the prefix and sends If-None-Match for create", async () => {
    const { sent, client } = recordingClient(() => ({ ETag: '"e1"' }));
    const store = new S3Store({ bucket: "b", prefix: "/base/dir/", client });
    const result = await store.put("wal/x.arrow", bytes, { mode: PutModes.create });
    expect(result.version).toBe("e1");
    expect(sent[0]).toMatchObject({
      name: "PutObjectCommand",
      input: { Bucket: "b", Key: "base/dir/wal/x.arrow", IfNoneMatch: "*", ContentLength: 3 },
    });
    expect(sent[0]!.input.IfMatch).toBeUndefined();
  });

  it("quotes If-Match for AWS and not for Ceph", async () => {
    const aws = recordingClient(() => ({ ETag: '"e2"' }));
    await new S3Store({ bucket: "b", client: aws.client }).put("k", bytes, { mode: PutModes.update("e1") });
    expect(aws.sent[0]!.input.IfMatch).toBe('"e1"');

    const ceph = recordingClient(() => ({ ETag: '"e2"' }));
    await new S3Store({ bucket: "b", client: ceph.client, compat: "ceph", conditionalUpdate: "native" }).put("k", bytes, {
      mode: PutModes.update('"e1"'),
    });
    expect(ceph.sent[0]!.input.IfMatch).toBe("e1");
  });

  it("declares and enforces an unsupported conditional update without sending anything", async () => {
    const { sent, client } = recordingClient(() => ({ ETag: '"e"' }));
    const store = new S3Store({ bucket: "b", client, compat: "ceph" });
    expect(store.capabilities).toEqual({ create: true, update: false });
    await expect(store.put("k", bytes, { mode: PutModes.update("e") })).rejects.toBeInstanceOf(NotImplementedError);
    expect(sent).toHaveLength(0);
  });

  it("pages through listings and strips the prefix", async () => {
    const { sent, client } = recordingClient((_name, input) =>
      input.ContinuationToken === undefined
        ? { IsTruncated: true, NextContinuationToken: "t1", Contents: [{ Key: "p/a/1", Size: 1, ETag: '"x"' }] }
        : { IsTruncated: false, Contents: [{ Key: "p/a/2", Size: 2, ETag: '"y"' }] },
    );
    const store = new S3Store({ bucket: "b", prefix: "p", client });
    const keys: string[] = [];
    for await (const meta of store.list("a/")) keys.push(`${meta.key}:${meta.size}:${meta.version}`);
    expect(keys).toEqual(["a/1:1:x", "a/2:2:y"]);
    expect(sent.map((s) => [s.input.Prefix, s.input.ContinuationToken])).toEqual([
      ["p/a/", undefined],
      ["p/a/", "t1"],
    ]);
  });

  it("asks for an inclusive HTTP byte range", async () => {
    const { sent, client } = recordingClient(() => ({
      Body: { transformToByteArray: async () => new Uint8Array([1, 2]) },
      ContentRange: "bytes 3-4/10",
      ContentLength: 2,
      ETag: '"v"',
    }));
    const store = new S3Store({ bucket: "b", client });
    const got = await store.get("k", { range: { start: 3, end: 5 } });
    expect(sent[0]!.input.Range).toBe("bytes=3-4");
    expect(got.meta.size).toBe(10);
    await store.get("k", { range: { start: 7 } });
    expect(sent[1]!.input.Range).toBe("bytes=7-");
  });
});
