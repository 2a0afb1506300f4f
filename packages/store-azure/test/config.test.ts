import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "@wal/core";
import {
  AzureStore,
  azureOptionsFromEnv,
  parseAzureUri,
  parseConnectionString,
  redactSecrets,
  resolveAzureConfig,
} from "../src/index.js";

// A made-up key of the right shape; the tests check it never shows up in messages.
const KEY = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS1ub3QtcmVhbC0wMTIzNDU2Nzg5YWJjZGVm==";
const CONN = `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${KEY};EndpointSuffix=core.windows.net`;

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

describe("parseAzureUri", () => {
  it("splits container and prefix", () => {
    expect(parseAzureUri("az://my-container/a/b/")).toEqual({ container: "my-container", prefix: "a/b" });
    expect(parseAzureUri("azure://box/x")).toEqual({ container: "box", prefix: "x" });
    expect(parseAzureUri("az://box")).toEqual({ container: "box", prefix: "" });
    expect(parseAzureUri("az://box/")).toEqual({ container: "box", prefix: "" });
  });

  it("rejects other schemes and bad container names", () => {
    for (const bad of ["s3://box/a", "az:/box", "az://", "az://Box/a", "az://ab", "az://a--b", "az://box?x=1"]) {
      expect(() => parseAzureUri(bad), bad).toThrow(InvalidArgumentError);
    }
  });
});

describe("parseConnectionString", () => {
  it("reads account, key and endpoint, case-insensitively, keeping '=' in values", () => {
    const fields = parseConnectionString(
      `accountname=devstoreaccount1;ACCOUNTKEY=${KEY};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;`,
    );
    expect(fields).toEqual({
      accountName: "devstoreaccount1",
      accountKey: KEY,
      sasToken: undefined,
      blobEndpoint: "http://127.0.0.1:10000/devstoreaccount1",
      useDevelopmentStorage: false,
    });
  });

  it("accepts UseDevelopmentStorage and SAS strings", () => {
    expect(parseConnectionString("UseDevelopmentStorage=true").useDevelopmentStorage).toBe(true);
    const sas = parseConnectionString("BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=sv=1&sig=abc");
    expect(sas.sasToken).toBe("sv=1&sig=abc");
  });

  it("names the missing field and never repeats the string", () => {
    const noKey = thrown(() => parseConnectionString("AccountName=acct;EndpointSuffix=core.windows.net"));
    expect(noKey).toBeInstanceOf(InvalidArgumentError);
    expect(noKey.message).toContain("AccountKey");
    const noName = thrown(() => parseConnectionString(`AccountKey=${KEY}`));
    expect(noName.message).toContain("AccountName");
    expect(noName.message).not.toContain(KEY);
    const malformed = thrown(() => parseConnectionString(`${KEY}`));
    expect(malformed).toBeInstanceOf(InvalidArgumentError);
    expect(malformed.message).not.toContain(KEY.slice(0, 20));
  });
});

describe("azureOptionsFromEnv", () => {
  it("reads the standard variables and leaves unset ones out", () => {
    expect(
      azureOptionsFromEnv({
        AZURE_STORAGE_ACCOUNT: "acct",
        AZURE_STORAGE_KEY: KEY,
        AZURE_STORAGE_ENDPOINT: "http://127.0.0.1:1/acct",
        AZURE_STORAGE_SAS_TOKEN: " ",
      }),
    ).toEqual({ accountName: "acct", accountKey: KEY, endpoint: "http://127.0.0.1:1/acct" });
    expect(azureOptionsFromEnv({ AZURE_STORAGE_CONNECTION_STRING: CONN })).toEqual({ connectionString: CONN });
  });
});

describe("resolveAzureConfig", () => {
  it("builds a client from a connection string, with a normalized prefix", () => {
    const r = resolveAzureConfig({ connectionString: CONN, container: "box", prefix: "/a/b" });
    expect(r.prefix).toBe("a/b/");
    expect(r.containerClient.containerName).toBe("box");
    expect(r.containerClient.url).toBe("https://acct.blob.core.windows.net/box");
    expect(r.secrets).toContain(KEY);
  });

  it("builds a client from account and key, honouring an emulator endpoint", () => {
    const r = resolveAzureConfig({
      accountName: "devstoreaccount1",
      accountKey: KEY,
      endpoint: "http://127.0.0.1:10000/devstoreaccount1/",
      container: "box",
    });
    expect(r.containerClient.url).toBe("http://127.0.0.1:10000/devstoreaccount1/box");
    expect(r.prefix).toBe("");
  });

  it("fails fast naming what is missing, without secrets", () => {
    const noContainer = thrown(() => resolveAzureConfig({ connectionString: CONN }));
    expect(noContainer).toBeInstanceOf(InvalidArgumentError);
    expect(noContainer.message).toContain("container");
    const noCredentials = thrown(() => resolveAzureConfig({ container: "box" }));
    expect(noCredentials.message).toContain("AZURE_STORAGE_CONNECTION_STRING");
    const noKey = thrown(() => resolveAzureConfig({ container: "box", accountName: "acct" }));
    expect(noKey.message).toContain("accountKey");
    const badConn = thrown(() => resolveAzureConfig({ container: "box", connectionString: `AccountKey=${KEY}` }));
    expect(badConn.message).toContain("AccountName");
    for (const e of [noContainer, noCredentials, noKey, badConn]) {
      expect(e.message).not.toContain(KEY);
      expect(e.message).not.toContain(CONN);
    }
  });

  it("rejects bad prefixes, endpoints and sizes", () => {
    const base = { container: "box", accountName: "acct", accountKey: KEY };
    expect(() => resolveAzureConfig({ ...base, prefix: "a/../b" })).toThrow(InvalidArgumentError);
    expect(() => resolveAzureConfig({ ...base, prefix: "a//b" })).toThrow(InvalidArgumentError);
    expect(() => resolveAzureConfig({ ...base, endpoint: "ftp://x" })).toThrow(InvalidArgumentError);
    expect(() => resolveAzureConfig({ ...base, endpoint: "not a url" })).toThrow(InvalidArgumentError);
    expect(() => resolveAzureConfig({ ...base, maxSingleShotSize: 257 * 1024 * 1024 })).toThrow(InvalidArgumentError);
    expect(() => resolveAzureConfig({ ...base, listPageSize: 0 })).toThrow(InvalidArgumentError);
  });

  it("uses an injected container client as is", () => {
    const client = resolveAzureConfig({ connectionString: CONN, container: "other" }).containerClient;
    const store = new AzureStore({ containerClient: client, prefix: "p" });
    expect(store.name).toBe("azure");
    expect(store.capabilities).toEqual({ create: true, update: true });
  });
});

describe("redactSecrets", () => {
  it("removes known secrets and secret-shaped fields", () => {
    const text = [
      `conn ${CONN}`,
      "url https://a.blob.core.windows.net/c/b?sv=2021&sig=SIGNATURE123%3D&se=x",
      "auth SharedKey acct:c2lnbmF0dXJl",
      "The MAC signature found in the HTTP request 'abcDEF123=' is not the same",
      `raw ${KEY}`,
    ].join("\n");
    const out = redactSecrets(text, [KEY]);
    expect(out).not.toContain(KEY);
    expect(out).not.toContain("SIGNATURE123");
    expect(out).not.toContain("c2lnbmF0dXJl");
    expect(out).not.toContain("abcDEF123=");
    expect(out).toContain("AccountName=acct");
    expect(out).toContain("sv=2021");
  });
});

describe("AzureStore key checks (before any request)", () => {
  // Port 9 on loopback: nothing is ever sent, because the key is refused first.
  const store = new AzureStore({ container: "box", accountName: "acct", accountKey: KEY, endpoint: "http://127.0.0.1:9/acct" });

  it("refuses keys Azure would silently rename or reject", async () => {
    for (const key of ["a.", "dir./x", "x/y.", "", "/abs", "a//b", "a/../b", "k".repeat(1025)]) {
      await expect(store.head(key), key).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(store.put(key, new Uint8Array(1), { mode: { kind: "overwrite" } }), key).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    }
  });

  it("refuses a prefix with a segment ending in '.'", () => {
    expect(() => resolveAzureConfig({ container: "box", accountName: "acct", accountKey: KEY, prefix: "data./x" })).toThrow(
      InvalidArgumentError,
    );
  });
});
