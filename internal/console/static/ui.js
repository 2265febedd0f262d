// Small shared pieces of the console's pages.
import { h } from 'preact';
import { useState, useEffect, useCallback } from 'preact/hooks';
import htm from 'htm';

export const html = htm.bind(h);

export const PAGE_SIZE = 25;

// useAsync runs load() now and whenever deps change; reload() runs it again.
export function useAsync(load, deps) {
  const [state, setState] = useState({ loading: true, data: null, error: null });
  const run = useCallback(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ loading: false, data, error: null }),
      (error) => live && setState({ loading: false, data: null, error }),
    );
    return () => { live = false; };
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

// ErrorBox shows a gateway error as the gateway phrased it.
export function ErrorBox({ error }) {
  if (!error) return null;
  return html`<div class="error" role="alert">
    <strong>${error.code || 'ERROR'}</strong> ${error.message}
    ${error.fields && error.fields.length > 0 && html`<ul>${error.fields.map((f) => html`<li><code>${f.field}</code>: ${f.description}</li>`)}</ul>`}
  </div>`;
}

// Pager slices a list client-side, PAGE_SIZE rows a page.
export function usePager(items, size = PAGE_SIZE) {
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil((items || []).length / size));
  const p = Math.min(page, pages - 1);
  return {
    rows: (items || []).slice(p * size, (p + 1) * size),
    pager: pages > 1 && html`<div class="pager">
      <button onClick=${() => setPage(p - 1)} disabled=${p === 0}>‹ Prev</button>
      <span>page ${p + 1} of ${pages} (${items.length} in all)</span>
      <button onClick=${() => setPage(p + 1)} disabled=${p >= pages - 1}>Next ›</button>
    </div>`,
  };
}

// confirmed asks before a destructive action; the action's error is shown
// by the caller.
export function confirmed(what) {
  return window.confirm(`${what}\n\nThis cannot be undone.`);
}

export function num(v) {
  if (v === undefined || v === null || v === '') return '0';
  return Number(v).toLocaleString('en-US');
}

export function bytes(v) {
  let n = Number(v || 0);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

export function when(ts) {
  if (!ts) return '—';
  const d = new Date(ts);
  if (d.getTime() <= 0) return '—';
  return d.toLocaleString();
}

export function ago(ts) {
  if (!ts) return '—';
  const s = (Date.now() - new Date(ts).getTime()) / 1000;
  if (s < 0 || !isFinite(s)) return '—';
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

// b64 turns protojson's base64 bytes into a Uint8Array.
export function b64(s) {
  const bin = atob(s || '');
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function hexOf(b64s) {
  return Array.from(b64(b64s), (x) => x.toString(16).padStart(2, '0')).join('');
}

const decoder = new TextDecoder('utf-8', { fatal: true });

export function textOf(u8) {
  try { return decoder.decode(u8); } catch (_) { return null; }
}

// Payload shows bytes as text, JSON or hex (hex for binary by default).
export function Payload({ data }) {
  const u8 = b64(data);
  const text = textOf(u8);
  let json = null;
  if (text !== null) { try { json = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON */ } }
  const [mode, setMode] = useState(json !== null ? 'json' : text !== null ? 'text' : 'hex');
  const [group] = useState(() => `mode-${Math.random().toString(36).slice(2)}`);
  let body;
  if (mode === 'json' && json !== null) body = json;
  else if (mode === 'text' && text !== null) body = text;
  else body = Array.from(u8, (x) => x.toString(16).padStart(2, '0')).join(' ').replace(/((?:\S+ ){16})/g, '$1\n');
  return html`<div class="payload">
    <div class="modes">${u8.length} bytes ·
      ${['text', 'json', 'hex'].map((m) => html`<label><input type="radio" name=${group} checked=${mode === m}
        disabled=${(m === 'json' && json === null) || (m === 'text' && text === null)} onChange=${() => setMode(m)} /> ${m}</label>`)}
    </div>
    <pre class="data">${body}</pre>
  </div>`;
}

export function Headers({ headers }) {
  const entries = Object.entries(headers || {});
  if (entries.length === 0) return html`<p class="muted">No headers.</p>`;
  return html`<table class="kv"><tbody>${entries.map(([k, v]) => html`<tr><th>${k}</th><td>${(v.values || []).join(', ')}</td></tr>`)}</tbody></table>`;
}

export function Json({ value }) {
  return html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
}
