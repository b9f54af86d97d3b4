import { createServer } from "node:http";
import { listen, readBody } from "../support/net";

/**
 * The few S3 calls the backup commands make (PutObject, GetObject, ListObjectsV2 with pagination, DeleteObjects),
 * path-style, on the loopback interface. It checks that requests are signed with the configured key, not the
 * signature itself: the SDK's signing is the SDK's business.
 */
export interface FakeS3 {
  endpoint: string;
  objects: Map<string, Buffer>;
  close(): Promise<void>;
}

const PAGE_SIZE = 5;

function xmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function listPage(bucket: string, objects: Map<string, Buffer>, query: URLSearchParams): string {
  const prefix = query.get("prefix") ?? "";
  const keys = [...objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  const start = Number(query.get("continuation-token") ?? "0");
  const page = keys.slice(start, start + PAGE_SIZE);
  const truncated = start + PAGE_SIZE < keys.length;
  const contents = page
    .map((key) => `<Contents><Key>${xmlEscape(key)}</Key><Size>${objects.get(key)?.length}</Size></Contents>`)
    .join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
    `<Name>${bucket}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount>` +
    `<MaxKeys>${PAGE_SIZE}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
    (truncated ? `<NextContinuationToken>${start + PAGE_SIZE}</NextContinuationToken>` : "") +
    `${contents}</ListBucketResult>`
  );
}

export async function startFakeS3(bucket: string, accessKeyId: string): Promise<FakeS3> {
  const objects = new Map<string, Buffer>();
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://fake-s3");
    const body = await readBody(request);
    const xml = (status: number, text: string) =>
      response.writeHead(status, { "content-type": "application/xml" }).end(text);
    if (!String(request.headers.authorization ?? "").includes(`Credential=${accessKeyId}/`)) {
      return xml(403, "<Error><Code>AccessDenied</Code><Message>unsigned</Message></Error>");
    }
    const [, requestBucket, ...keyParts] = url.pathname.split("/");
    if (requestBucket !== bucket) return xml(404, "<Error><Code>NoSuchBucket</Code></Error>");
    const key = decodeURIComponent(keyParts.join("/"));

    if (request.method === "GET" && key === "" && url.searchParams.get("list-type") === "2") {
      return xml(200, listPage(bucket, objects, url.searchParams));
    }
    if (request.method === "POST" && url.searchParams.has("delete")) {
      for (const [, deleted] of body.toString("utf8").matchAll(/<Key>([^<]*)<\/Key>/g)) objects.delete(deleted);
      return xml(200, `<?xml version="1.0" encoding="UTF-8"?><DeleteResult></DeleteResult>`);
    }
    if (request.method === "PUT" && key !== "") {
      objects.set(key, body);
      return response.writeHead(200, { etag: '"fake"' }).end();
    }
    if (request.method === "GET" && key !== "") {
      const object = objects.get(key);
      if (object === undefined) return xml(404, "<Error><Code>NoSuchKey</Code><Message>no such key</Message></Error>");
      return response.writeHead(200, { "content-length": object.length }).end(object);
    }
    return xml(400, "<Error><Code>NotImplemented</Code></Error>");
  });
  const endpoint = await listen(server);
  return { endpoint, objects, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
