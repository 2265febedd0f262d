// The console's calls to its JSON API. Every call is a gRPC call of the
// gateway underneath; failures come back as {code, message,
// field_violations} and are thrown as ApiError.

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.code) || `HTTP_${status}`;
    this.fields = (body && body.field_violations) || [];
  }
}

const changes = { 'X-Natsgw-Console': '1', 'Content-Type': 'application/json' };

async function decode(resp) {
  let body = null;
  try { body = await resp.json(); } catch (_) { /* not JSON */ }
  if (!resp.ok) throw new ApiError(resp.status, body);
  return body;
}

export async function session() {
  return decode(await fetch('/api/session'));
}

export async function login(creds) {
  return decode(await fetch('/api/login', { method: 'POST', headers: changes, body: JSON.stringify(creds) }));
}

export async function logout() {
  return decode(await fetch('/api/logout', { method: 'POST', headers: changes }));
}

// rpc calls a unary method, for example rpc('StreamService/ListStreams', {}).
export async function rpc(method, req = {}) {
  return decode(await fetch(`/api/rpc/${method}`, { method: 'POST', headers: changes, body: JSON.stringify(req) }));
}

// list collects a finite server stream (KV keys, history): {items, truncated}.
export async function list(method, req = {}) {
  return decode(await fetch(`/api/list/${method}?q=${encodeURIComponent(JSON.stringify(req))}`));
}

// live opens a long-lived server stream as server-sent events. onMessage
// gets each response, onDropped the running count of events the console
// dropped because this page read too slowly, onEnd the final error (or
// null). It returns a function that closes the stream.
export function live(method, req, { onMessage, onDropped, onEnd }) {
  const es = new EventSource(`/api/live/${method}?q=${encodeURIComponent(JSON.stringify(req))}`);
  let ended = false;
  const end = (err) => { if (!ended) { ended = true; es.close(); onEnd && onEnd(err); } };
  es.addEventListener('message', (e) => onMessage(JSON.parse(e.data)));
  es.addEventListener('dropped', (e) => onDropped && onDropped(Number(e.data)));
  es.addEventListener('end', () => end(null));
  es.addEventListener('error', (e) => {
    if (e.data) {
      const body = JSON.parse(e.data);
      end(new ApiError(0, body));
    } else if (es.readyState === EventSource.CLOSED) {
      // The request itself failed (its status is not visible to
      // EventSource): ask again with fetch to show the gateway's message.
      fetch(`/api/live/${method}?q=${encodeURIComponent(JSON.stringify(req))}`)
        .then(decode).then(() => end(new ApiError(0, { message: 'stream ended' })), (err) => end(err));
    }
  });
  return () => end(null);
}

export function objectURL(bucket, name) {
  return `/api/objects/${encodeURIComponent(bucket)}/data?name=${encodeURIComponent(name)}`;
}

// upload streams a File to the object store (the browser reads it from disk
// as it sends; it never sits whole in the page's memory).
export async function upload(bucket, name, file, meta = {}) {
  const q = new URLSearchParams({ name });
  for (const [k, v] of Object.entries(meta)) q.append('meta', `${k}=${v}`);
  return decode(await fetch(`/api/objects/${encodeURIComponent(bucket)}/data?${q}`, {
    method: 'PUT', headers: { 'X-Natsgw-Console': '1' }, body: file,
  }));
}
