/**
 * Just enough of multipart/related (RFC 2387) for `uploadType=multipart`: exactly two parts, the JSON
 * object resource and the media. Part bodies are returned as byte views so binary media survives intact.
 */

export interface MultipartPart {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** The boundary parameter of a `multipart/related` content type, or undefined when it is not one. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const [type, ...params] = contentType.split(";").map((s) => s.trim());
  if (type?.toLowerCase() !== "multipart/related") return undefined;
  for (const param of params) {
    const eq = param.indexOf("=");
    if (eq < 0) continue;
    if (param.slice(0, eq).trim().toLowerCase() !== "boundary") continue;
    return param.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1");
  }
  return undefined;
}

/** Splits `body` into parts. @throws Error when the framing is malformed (the caller answers 400). */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let cursor = body.indexOf(delimiter);
  if (cursor < 0) throw new Error("no multipart boundary found in the body");
  for (;;) {
    cursor += delimiter.length;
    // "--" right after a delimiter closes the body.
    if (body[cursor] === 0x2d && body[cursor + 1] === 0x2d) return parts;
    const next = body.indexOf(delimiter, cursor);
    if (next < 0) throw new Error("multipart body is not terminated by a closing boundary");
    parts.push(parsePart(body.subarray(skipLineBreak(body, cursor), stripLineBreak(body, next))));
    cursor = next;
  }
}

function parsePart(raw: Buffer): MultipartPart {
  const headerEnd = raw.indexOf("\r\n\r\n");
  if (headerEnd < 0) {
    // A part with no headers starts directly with the blank line.
    if (raw.subarray(0, 2).toString() === "\r\n") return { headers: {}, body: raw.subarray(2) };
    throw new Error("multipart part has no header terminator");
  }
  const headers: Record<string, string> = {};
  for (const line of raw.subarray(0, headerEnd).toString("utf8").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: raw.subarray(headerEnd + 4) };
}

function skipLineBreak(body: Buffer, at: number): number {
  return body[at] === 0x0d && body[at + 1] === 0x0a ? at + 2 : at;
}

// The CRLF before a delimiter belongs to the delimiter, not to the part's body.
function stripLineBreak(body: Buffer, at: number): number {
  return body[at - 2] === 0x0d && body[at - 1] === 0x0a ? at - 2 : at;
}
