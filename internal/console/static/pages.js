// The console's pages. Each reads and writes through the gateway's API
// (api.js); nothing here decides what a caller may see.
import { useState, useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import * as api from './api.js';
import {
  html, useAsync, usePager, ErrorBox, confirmed, num, bytes, when, ago, Payload, Headers, Json, b64,
} from './ui.js';

const go = (path) => { window.location.hash = path; };
const enc = encodeURIComponent;

// ---- Overview -------------------------------------------------------------

const WINDOW = 300; // seconds of rate history kept

export function Overview() {
  const [stats, setStats] = useState(null);
  const [health, setHealth] = useState(null);
  const [error, setError] = useState(null);
  const chartEl = useRef(null);
  const chart = useRef(null);
  const series = useRef({ t: [], inRate: [], outRate: [], last: null });

  useEffect(() => {
    let stop = false;
    async function tick() {
      try {
        const [s, hl] = await Promise.all([api.rpc('AdminService/GetStatistics'), api.rpc('AdminService/Health')]);
        if (stop) return;
        setStats(s); setHealth(hl); setError(null);
        const now = Date.now() / 1000;
        const d = series.current;
        if (d.last) {
          const dt = now - d.last.t;
          d.t.push(now);
          d.inRate.push(Math.max(0, (Number(s.in_msgs) - d.last.in) / dt));
          d.outRate.push(Math.max(0, (Number(s.out_msgs) - d.last.out) / dt));
          while (d.t.length && d.t[0] < now - WINDOW) { d.t.shift(); d.inRate.shift(); d.outRate.shift(); }
          if (chart.current) chart.current.setData([d.t, d.inRate, d.outRate]);
        }
        d.last = { t: now, in: Number(s.in_msgs), out: Number(s.out_msgs) };
      } catch (e) { if (!stop) setError(e); }
    }
    tick();
    const id = setInterval(tick, 2000);
    return () => { stop = true; clearInterval(id); };
  }, []);

  useEffect(() => {
    if (!chartEl.current || chart.current) return undefined;
    const d = series.current;
    chart.current = new uPlot({
      width: Math.min(900, chartEl.current.clientWidth || 800), height: 220,
      series: [{}, { label: 'in msgs/s', stroke: '#2a6fdb', width: 2 }, { label: 'out msgs/s', stroke: '#d9822b', width: 2 }],
      axes: [{}, { label: 'msgs/s' }],
    }, [d.t, d.inRate, d.outRate], chartEl.current);
    return () => { chart.current && chart.current.destroy(); chart.current = null; };
  }, [chartEl.current]);

  const card = (label, value, href) => html`<a class="card" href=${href || null}><div class="label">${label}</div><div class="value">${value}</div></a>`;
  return html`<section>
    <h1>Overview</h1>
    <${ErrorBox} error=${error} />
    ${health && html`<p class=${health.healthy ? 'ok' : 'bad'} data-testid="health">
      ${health.healthy ? '● Healthy' : `● Unhealthy: ${health.reason}`} · NATS ${health.nats_connected ? 'connected' : 'disconnected'}
      · JetStream ${health.jetstream_enabled ? 'enabled' : 'off'} · NATS ${health.nats_server_version} · gateway ${health.gateway_version}
    </p>`}
    ${stats && html`<div class="cards">
      ${card('Streams', num(stats.streams), '#/streams')}
      ${card('Consumers', num(stats.consumers), '#/streams')}
      ${card('Messages stored', num(stats.messages))}
      ${card('Stored', bytes(stats.bytes))}
      ${card('KV buckets', num(stats.kv_buckets), '#/kv')}
      ${card('Object buckets', num(stats.object_buckets), '#/objects')}
      ${card('Subscriptions', num(stats.subscriptions), '#/tail')}
      ${card('Messages in / out', `${num(stats.in_msgs)} / ${num(stats.out_msgs)}`)}
    </div>`}
    <h2>Messages per second (this gateway instance, last ${WINDOW / 60} minutes)</h2>
    <div class="chart" ref=${chartEl}></div>
  </section>`;
}

// ---- Streams ----------------------------------------------------------------

function isDLQ(s) { return !!s.dead_letter_for; }

export function Streams() {
  const { data, error, loading, reload } = useAsync(() => api.rpc('StreamService/ListStreams'), []);
  const streams = ((data && data.streams) || []).filter((s) => !isDLQ(s));
  const { rows, pager } = usePager(streams);
  return html`<section>
    <h1>Streams <button class="small" onClick=${reload}>Refresh</button></h1>
    <${ErrorBox} error=${error} />
    ${loading && !data ? html`<p class="muted">Loading…</p>` : streams.length === 0 ? html`<p class="muted">No streams yet.</p>` : html`
    <table class="list"><thead><tr><th>Name</th><th>Subjects</th><th>Retention</th><th class="n">Messages</th><th class="n">Bytes</th><th class="n">Consumers</th><th>Last message</th></tr></thead>
    <tbody>${rows.map((s) => html`<tr onClick=${() => go(`/streams/${enc(s.config.name)}`)} class="link">
      <td><a href=${`#/streams/${enc(s.config.name)}`}>${s.config.name}</a></td>
      <td><code>${(s.config.subjects || []).join(' ')}</code></td>
      <td>${(s.config.retention || '').replace('STREAM_RETENTION_', '').toLowerCase()}</td>
      <td class="n">${num(s.state.messages)}</td><td class="n">${bytes(s.state.bytes)}</td>
      <td class="n">${num(s.state.consumers)}</td><td>${ago(s.state.last_time)}</td></tr>`)}</tbody></table>${pager}`}
  </section>`;
}

export function StreamDetail({ name }) {
  const info = useAsync(() => api.rpc('StreamService/GetStream', { name }), [name]);
  const consumers = useAsync(() => api.rpc('ConsumerService/ListConsumers', { stream: name }), [name]);
  const [error, setError] = useState(null);
  const s = info.data && info.data.stream;
  async function purge() {
    if (!confirmed(`Purge every message of stream ${name}?`)) return;
    try { await api.rpc('StreamService/PurgeStream', { name }); setError(null); info.reload(); } catch (e) { setError(e); }
  }
  async function remove() {
    if (!confirmed(`Delete stream ${name} with all its messages and consumers?`)) return;
    try { await api.rpc('StreamService/DeleteStream', { name }); go('/streams'); } catch (e) { setError(e); }
  }
  return html`<section>
    <p><a href="#/streams">‹ Streams</a></p>
    <h1>Stream ${name}</h1>
    <${ErrorBox} error=${info.error || error} />
    ${s && html`<div class="cols">
      <div><h2>State</h2><table class="kv"><tbody>
        <tr><th>Messages</th><td data-testid="stream-messages">${num(s.state.messages)}</td></tr>
        <tr><th>Bytes</th><td>${bytes(s.state.bytes)}</td></tr>
        <tr><th>Sequences</th><td>${num(s.state.first_sequence)} – ${num(s.state.last_sequence)}</td></tr>
        <tr><th>First / last</th><td>${when(s.state.first_time)} / ${when(s.state.last_time)}</td></tr>
        <tr><th>Subjects</th><td>${num(s.state.num_subjects)}</td></tr>
        <tr><th>Deleted</th><td>${num(s.state.num_deleted)}</td></tr>
        <tr><th>Created</th><td>${when(s.created)}</td></tr>
        ${s.dead_letter_for && html`<tr><th>Dead letters of</th><td><a href=${`#/streams/${enc(s.dead_letter_for)}`}>${s.dead_letter_for}</a></td></tr>`}
      </tbody></table>
      <p class="actions"><button class="danger" onClick=${purge}>Purge…</button> <button class="danger" onClick=${remove}>Delete stream…</button></p></div>
      <div><h2>Configuration</h2><${Json} value=${s.config} /></div>
    </div>`}
    <h2>Consumers</h2>
    <${Consumers} stream=${name} state=${consumers} />
    ${s && html`<${MessageBrowser} stream=${name} first=${Number(s.state.first_sequence)} last=${Number(s.state.last_sequence)} onChange=${info.reload} />`}
  </section>`;
}

function Consumers({ stream, state }) {
  const [error, setError] = useState(null);
  const list = (state.data && state.data.consumers) || [];
  const { rows, pager } = usePager(list);
  async function act(method, req, what) {
    if (what && !confirmed(what)) return;
    try { await api.rpc(method, req); setError(null); state.reload(); } catch (e) { setError(e); }
  }
  const pauseHour = (c) => ({ stream, consumer: c.name, pause_until: new Date(Date.now() + 3600e3).toISOString() });
  if (state.error) return html`<${ErrorBox} error=${state.error} />`;
  if (list.length === 0) return html`<p class="muted">No consumers.</p>`;
  return html`<div><${ErrorBox} error=${error} />
    <table class="list"><thead><tr><th>Name</th><th>Filter</th><th class="n">Pending</th><th class="n">Ack pending</th><th class="n">Redelivered</th><th class="n">Waiting</th><th>Last delivery</th><th>Dead letters</th><th></th></tr></thead>
    <tbody>${rows.map((c) => html`<tr data-testid=${`consumer-${c.name}`}>
      <td>${c.name}${c.paused ? html` <span class="tag">paused until ${when(c.pause_until)}</span>` : ''}</td>
      <td><code>${(c.config && c.config.filter_subject) || '>'}</code></td>
      <td class="n">${num(c.num_pending)}</td><td class="n">${num(c.num_ack_pending)}</td>
      <td class="n">${num(c.num_redelivered)}</td><td class="n">${num(c.num_waiting)}</td>
      <td>${ago(c.delivered && c.delivered.last_active)}</td>
      <td>${c.dead_letter_stream ? html`<a href=${`#/dead-letters/${enc(c.dead_letter_stream)}`}>${c.dead_letter_stream}</a>` : '—'}</td>
      <td class="actions">
        ${'paused' in c && (c.paused
          ? html`<button class="small" onClick=${() => act('ConsumerService/ResumeConsumer', { stream, consumer: c.name })}>Resume</button>`
          : html`<button class="small" onClick=${() => act('ConsumerService/PauseConsumer', pauseHour(c), `Pause consumer ${c.name} for an hour? Its readers get nothing until it resumes.`)}>Pause 1 h…</button>`)}
        <button class="small danger" onClick=${() => act('ConsumerService/DeleteConsumer', { stream, name: c.name }, `Delete consumer ${c.name} and its delivery state?`)}>Delete…</button>
      </td></tr>`)}</tbody></table>${pager}</div>`;
}

const BROWSE = 20;

// streamMsgs reads the messages from sequence `from` to `to`, at most `max`
// of them; deleted sequences (NOT_FOUND) are skipped.
async function streamMsgs(stream, from, to, max) {
  const out = [];
  for (let seq = from; seq <= to && out.length < max; seq++) {
    try {
      out.push((await api.rpc('StreamService/GetStreamMessage', { stream, sequence: seq })).message);
    } catch (e) {
      if (e.code !== 'NOT_FOUND') throw e;
    }
  }
  return out;
}

function MessageBrowser({ stream, first, last, onChange }) {
  const [start, setStart] = useState(Math.max(first, last - BROWSE + 1));
  const [msgs, setMsgs] = useState([]);
  const [error, setError] = useState(null);
  const [open, setOpen] = useState(null);
  useEffect(() => { setStart(Math.max(first, last - BROWSE + 1)); }, [first, last]);
  useEffect(() => {
    let live = true;
    streamMsgs(stream, start, Math.min(last, start + BROWSE - 1), BROWSE).then(
      (out) => { if (live) { setMsgs(out); setError(null); } },
      (e) => { if (live) setError(e); },
    );
    return () => { live = false; };
  }, [stream, start, last]);
  async function del(m) {
    if (!confirmed(`Delete message ${m.sequence} from ${stream}?`)) return;
    try { await api.rpc('StreamService/DeleteStreamMessage', { stream, sequence: m.sequence }); onChange(); } catch (e) { setError(e); }
  }
  return html`<div>
    <h2>Messages</h2>
    ${last === 0 || last < first ? html`<p class="muted">The stream is empty.</p>` : html`
    <div class="pager">
      <button onClick=${() => setStart(Math.max(first, start - BROWSE))} disabled=${start <= first}>‹ Older</button>
      <span>sequences ${start} – ${Math.min(last, start + BROWSE - 1)} of ${first} – ${last}</span>
      <button onClick=${() => setStart(Math.min(last, start + BROWSE))} disabled=${start + BROWSE > last}>Newer ›</button>
      <label>Go to <input type="number" min=${first} max=${last} onChange=${(e) => setStart(Number(e.target.value) || first)} /></label>
    </div>
    <${ErrorBox} error=${error} />
    <table class="list"><thead><tr><th class="n">Seq</th><th>Subject</th><th>Time</th><th class="n">Size</th><th></th></tr></thead>
    <tbody>${msgs.map((m) => html`
      <tr class="link" data-testid=${`msg-${m.sequence}`} onClick=${() => setOpen(open === m.sequence ? null : m.sequence)}>
        <td class="n">${m.sequence}</td><td><code>${m.subject}</code></td><td>${when(m.time)}</td><td class="n">${bytes(b64(m.data).length)}</td>
        <td class="actions"><button class="small danger" onClick=${(e) => { e.stopPropagation(); del(m); }}>Delete…</button></td></tr>
      ${open === m.sequence && html`<tr class="detail"><td colspan="5"><${Headers} headers=${m.headers} /><${Payload} data=${m.data} /></td></tr>`}`)}
    </tbody></table>`}
  </div>`;
}

// ---- Dead letters --------------------------------------------------------------

export function DeadLetters() {
  const { data, error, reload } = useAsync(() => api.rpc('StreamService/ListStreams'), []);
  const dlqs = ((data && data.streams) || []).filter(isDLQ);
  return html`<section>
    <h1>Dead letters <button class="small" onClick=${reload}>Refresh</button></h1>
    <p class="muted">A message that reached its consumer's max deliveries, or was terminated, is copied to the stream <code>_dlq_&lt;stream&gt;</code>. Replay publishes it to its stream again and removes it here.</p>
    <${ErrorBox} error=${error} />
    ${dlqs.length === 0 ? html`<p class="muted">No dead-letter streams.</p>` : html`
    <table class="list"><thead><tr><th>Dead-letter stream</th><th>Of stream</th><th class="n">Messages</th></tr></thead>
    <tbody>${dlqs.map((s) => html`<tr class="link" onClick=${() => go(`/dead-letters/${enc(s.config.name)}`)}>
      <td><a href=${`#/dead-letters/${enc(s.config.name)}`}>${s.config.name}</a></td><td>${s.dead_letter_for}</td><td class="n">${num(s.state.messages)}</td></tr>`)}</tbody></table>`}
  </section>`;
}

function header(m, k) {
  const v = (m.headers || {})[k];
  return v && v.values && v.values[0];
}

export function DeadLetterDetail({ name }) {
  const info = useAsync(() => api.rpc('StreamService/GetStream', { name }), [name]);
  const [msgs, setMsgs] = useState([]);
  const [error, setError] = useState(null);
  const [done, setDone] = useState('');
  const [open, setOpen] = useState(null);
  const s = info.data && info.data.stream;
  useEffect(() => {
    if (!s) return undefined;
    let live = true;
    streamMsgs(name, Number(s.state.first_sequence), Number(s.state.last_sequence), 100).then(
      (out) => { if (live) setMsgs(out); },
      (e) => { if (live) setError(e); },
    );
    return () => { live = false; };
  }, [s]);
  async function replay(m) {
    const origin = header(m, 'Natsgw-Dlq-Stream') || (s && s.dead_letter_for);
    const subject = header(m, 'Natsgw-Dlq-Subject') || m.subject;
    if (!confirmed(`Replay message ${m.sequence} to stream ${origin} on ${subject}?`)) return;
    const headers = {};
    // The dead-letter headers describe the death, and Nats-* headers (the
    // copy's deduplication id) are the server's: neither is replayed.
    for (const [k, v] of Object.entries(m.headers || {})) {
      const lk = k.toLowerCase();
      if (!lk.startsWith('natsgw-dlq-') && !lk.startsWith('nats-')) headers[k] = v;
    }
    try {
      const r = await api.rpc('StreamService/PublishToStream', { stream: origin, message: { subject, data: m.data, headers } });
      await api.rpc('StreamService/DeleteStreamMessage', { stream: name, sequence: m.sequence });
      setDone(`Replayed to ${origin} as sequence ${r.sequence}.`); setError(null); info.reload();
    } catch (e) { setError(e); }
  }
  return html`<section>
    <p><a href="#/dead-letters">‹ Dead letters</a></p>
    <h1>Dead letters: ${name}</h1>
    <${ErrorBox} error=${info.error || error} />
    ${done && html`<p class="ok" role="status">${done}</p>`}
    ${msgs.length === 0 ? html`<p class="muted">No dead letters.</p>` : html`
    <table class="list"><thead><tr><th class="n">Seq</th><th>Stream</th><th>Consumer</th><th class="n">Orig. seq</th><th class="n">Deliveries</th><th>Reason</th><th>Died</th><th></th></tr></thead>
    <tbody>${msgs.map((m) => html`
      <tr class="link" data-testid=${`dlq-${m.sequence}`} onClick=${() => setOpen(open === m.sequence ? null : m.sequence)}>
        <td class="n">${m.sequence}</td><td>${header(m, 'Natsgw-Dlq-Stream')}</td><td>${header(m, 'Natsgw-Dlq-Consumer')}</td>
        <td class="n">${header(m, 'Natsgw-Dlq-Sequence')}</td><td class="n">${header(m, 'Natsgw-Dlq-Deliveries')}</td>
        <td>${header(m, 'Natsgw-Dlq-Reason')}${header(m, 'Natsgw-Dlq-Term-Reason') ? `: ${header(m, 'Natsgw-Dlq-Term-Reason')}` : ''}</td>
        <td>${when(header(m, 'Natsgw-Dlq-Time'))}</td>
        <td class="actions"><button class="small" onClick=${(e) => { e.stopPropagation(); replay(m); }}>Replay…</button></td></tr>
      ${open === m.sequence && html`<tr class="detail"><td colspan="8"><${Headers} headers=${m.headers} /><${Payload} data=${m.data} /></td></tr>`}`)}
    </tbody></table>`}
  </section>`;
}

// ---- Key-value ------------------------------------------------------------------

export function KV() {
  const { data, error, reload } = useAsync(() => api.rpc('KeyValueService/ListBuckets'), []);
  const buckets = (data && data.buckets) || [];
  const { rows, pager } = usePager(buckets);
  return html`<section>
    <h1>Key-value buckets <button class="small" onClick=${reload}>Refresh</button></h1>
    <${ErrorBox} error=${error} />
    ${buckets.length === 0 ? html`<p class="muted">No buckets yet.</p>` : html`
    <table class="list"><thead><tr><th>Bucket</th><th class="n">Values</th><th class="n">Bytes</th><th class="n">History</th><th>TTL</th></tr></thead>
    <tbody>${rows.map((b) => html`<tr class="link" onClick=${() => go(`/kv/${enc(b.bucket)}`)}>
      <td><a href=${`#/kv/${enc(b.bucket)}`}>${b.bucket}</a></td><td class="n">${num(b.values)}</td><td class="n">${bytes(b.bytes)}</td>
      <td class="n">${(b.config && b.config.history) || 1}</td><td>${(b.config && b.config.ttl) || '—'}</td></tr>`)}</tbody></table>${pager}`}
  </section>`;
}

export function KVBucket({ bucket }) {
  const [filter, setFilter] = useState('');
  const keys = useAsync(() => api.list('KeyValueService/Keys', { bucket, filter }), [bucket, filter]);
  const all = ((keys.data && keys.data.items) || []).flatMap((r) => r.keys || []).sort();
  const { rows, pager } = usePager(all);
  const [key, setKey] = useState(null);
  const [error, setError] = useState(null);
  const [newKey, setNewKey] = useState('');
  const [newValue, setNewValue] = useState('');
  async function put(e) {
    e.preventDefault();
    try {
      const data = btoa(String.fromCharCode(...new TextEncoder().encode(newValue)));
      await api.rpc('KeyValueService/Put', { bucket, key: newKey, value: data });
      setError(null); setKey(newKey); keys.reload();
    } catch (err) { setError(err); }
  }
  async function removeBucket() {
    if (!confirmed(`Delete bucket ${bucket} with all its keys?`)) return;
    try { await api.rpc('KeyValueService/DeleteBucket', { bucket }); go('/kv'); } catch (err) { setError(err); }
  }
  return html`<section>
    <p><a href="#/kv">‹ Buckets</a></p>
    <h1>Bucket ${bucket} <button class="small danger" onClick=${removeBucket}>Delete bucket…</button></h1>
    <${ErrorBox} error=${keys.error || error} />
    <div class="cols">
      <div>
        <h2>Keys</h2>
        <label>Filter <input placeholder="database.*" value=${filter} onChange=${(e) => setFilter(e.target.value)} /></label>
        ${keys.data && keys.data.truncated && html`<p class="muted">Showing the first ${all.length} keys.</p>`}
        <ul class="keys">${rows.map((k) => html`<li><button class=${k === key ? 'key sel' : 'key'} onClick=${() => setKey(k)}>${k}</button></li>`)}</ul>
        ${all.length === 0 && html`<p class="muted">No keys.</p>`}
        ${pager}
        <h2>Put</h2>
        <form onSubmit=${put} class="form">
          <input name="key" placeholder="key" value=${newKey} onInput=${(e) => setNewKey(e.target.value)} required />
          <textarea name="value" placeholder="value" value=${newValue} onInput=${(e) => setNewValue(e.target.value)}></textarea>
          <button type="submit">Put</button>
        </form>
      </div>
      <div>${key && html`<${KVKey} bucket=${bucket} k=${key} onChange=${keys.reload} />`}</div>
    </div>
    <${KVWatch} bucket=${bucket} />
  </section>`;
}

function KVKey({ bucket, k, onChange }) {
  const entry = useAsync(() => api.rpc('KeyValueService/Get', { bucket, key: k }), [bucket, k]);
  const history = useAsync(() => api.list('KeyValueService/History', { bucket, key: k }), [bucket, k]);
  const [error, setError] = useState(null);
  const e = entry.data && entry.data.entry;
  const revs = ((history.data && history.data.items) || []).flatMap((r) => r.entries || []).reverse();
  async function del() {
    if (!confirmed(`Delete key ${k}? (Its history is kept.)`)) return;
    try { await api.rpc('KeyValueService/Delete', { bucket, key: k }); setError(null); entry.reload(); history.reload(); onChange(); } catch (err) { setError(err); }
  }
  return html`<div>
    <h2>${k}</h2>
    <${ErrorBox} error=${entry.error || history.error || error} />
    ${e && html`<p>Revision <strong data-testid="kv-revision">${e.revision}</strong> · ${when(e.created)}
      <button class="small danger" onClick=${del}>Delete…</button></p><${Payload} data=${e.value} />`}
    <h3>History</h3>
    <table class="list"><thead><tr><th class="n">Revision</th><th>Operation</th><th>Written</th><th class="n">Size</th></tr></thead>
    <tbody>${revs.map((r) => html`<tr><td class="n">${r.revision}</td><td>${(r.operation || '').replace('KEY_VALUE_OPERATION_', '').toLowerCase()}</td>
      <td>${when(r.created)}</td><td class="n">${b64(r.value).length}</td></tr>`)}</tbody></table>
  </div>`;
}

const MAX_EVENTS = 200;

function KVWatch({ bucket }) {
  const [on, setOn] = useState(false);
  const [events, setEvents] = useState([]);
  const [dropped, setDropped] = useState(0);
  const [error, setError] = useState(null);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    if (!on) return undefined;
    setEvents([]); setError(null); setReady(false);
    return api.live('KeyValueService/Watch', { bucket, key: '>', updates_only: true }, {
      onMessage: (m) => {
        // The gateway's first frame says the watch is in place: from then
        // on every change arrives.
        if (m.init_done) setReady(true);
        if (m.entries && m.entries.length) setEvents((ev) => [...m.entries.reverse(), ...ev].slice(0, MAX_EVENTS));
      },
      onDropped: setDropped,
      onEnd: (err) => { setError(err); setOn(false); },
    });
  }, [on, bucket]);
  return html`<div>
    <h2>Live changes <button class="small" onClick=${() => setOn(!on)}>${on ? 'Stop watching' : 'Watch'}</button></h2>
    <${ErrorBox} error=${error} />
    ${dropped > 0 && html`<p class="bad">${dropped} changes dropped (the page read too slowly).</p>`}
    ${on && !ready && html`<p class="muted">Starting the watch…</p>`}
    ${on && ready && html`<p class="ok" role="status">Watching for changes.</p>`}
    <table class="list" data-testid="kv-watch"><tbody>${events.map((e) => html`<tr>
      <td class="n">${e.revision}</td><td>${e.key}</td><td>${(e.operation || '').replace('KEY_VALUE_OPERATION_', '').toLowerCase()}</td>
      <td><code>${(new TextDecoder().decode(b64(e.value))).slice(0, 120)}</code></td></tr>`)}</tbody></table>
  </div>`;
}

// ---- Objects --------------------------------------------------------------------

export function Objects() {
  const { data, error, reload } = useAsync(() => api.rpc('ObjectStoreService/ListObjectBuckets'), []);
  const buckets = (data && data.buckets) || [];
  const { rows, pager } = usePager(buckets);
  return html`<section>
    <h1>Object buckets <button class="small" onClick=${reload}>Refresh</button></h1>
    <${ErrorBox} error=${error} />
    ${buckets.length === 0 ? html`<p class="muted">No buckets yet.</p>` : html`
    <table class="list"><thead><tr><th>Bucket</th><th class="n">Size</th><th>Created</th><th>Sealed</th></tr></thead>
    <tbody>${rows.map((b) => html`<tr class="link" onClick=${() => go(`/objects/${enc(b.bucket)}`)}>
      <td><a href=${`#/objects/${enc(b.bucket)}`}>${b.bucket}</a></td><td class="n">${bytes(b.size)}</td><td>${when(b.created)}</td><td>${b.sealed ? 'yes' : 'no'}</td></tr>`)}</tbody></table>${pager}`}
  </section>`;
}

export function ObjectBucket({ bucket }) {
  const [tokens, setTokens] = useState(['']);
  const [prefix, setPrefix] = useState('');
  const page = tokens[tokens.length - 1];
  const objs = useAsync(() => api.rpc('ObjectStoreService/ListObjects', { bucket, prefix, page_size: 25, page_token: page }), [bucket, prefix, page]);
  const [sel, setSel] = useState(null);
  const [error, setError] = useState(null);
  const [status, setStatus] = useState('');
  const file = useRef(null);
  const list = (objs.data && objs.data.objects) || [];
  async function doUpload(e) {
    e.preventDefault();
    const f = file.current && file.current.files[0];
    if (!f) return;
    const name = e.target.elements.name.value || f.name;
    setStatus(`Uploading ${f.name}…`);
    try {
      const r = await api.upload(bucket, name, f);
      setStatus(`Stored ${r.info.name}: ${bytes(r.info.size)}.`); setError(null); objs.reload();
    } catch (err) { setStatus(''); setError(err); }
  }
  async function del(o) {
    if (!confirmed(`Delete object ${o.name}?`)) return;
    try { await api.rpc('ObjectStoreService/DeleteObject', { bucket, name: o.name }); setSel(null); objs.reload(); } catch (err) { setError(err); }
  }
  return html`<section>
    <p><a href="#/objects">‹ Buckets</a></p>
    <h1>Objects in ${bucket}</h1>
    <${ErrorBox} error=${objs.error || error} />
    <form class="form inline" onSubmit=${doUpload}>
      <input type="file" ref=${file} name="file" required />
      <input name="name" placeholder="object name (default: the file's)" />
      <button type="submit">Upload</button> <span role="status">${status}</span>
    </form>
    <label>Prefix <input value=${prefix} onChange=${(e) => { setPrefix(e.target.value); setTokens(['']); }} /></label>
    <div class="cols"><div>
    <table class="list"><thead><tr><th>Name</th><th class="n">Size</th><th>Modified</th></tr></thead>
    <tbody>${list.map((o) => html`<tr class="link" onClick=${() => setSel(o)}><td>${o.name}</td><td class="n">${bytes(o.size)}</td><td>${when(o.modified)}</td></tr>`)}</tbody></table>
    ${list.length === 0 && html`<p class="muted">No objects.</p>`}
    <div class="pager">
      <button disabled=${tokens.length === 1} onClick=${() => setTokens(tokens.slice(0, -1))}>‹ Prev</button>
      <button disabled=${!(objs.data && objs.data.next_page_token)} onClick=${() => setTokens([...tokens, objs.data.next_page_token])}>Next ›</button>
    </div></div>
    <div>${sel && html`<h2>${sel.name}</h2><table class="kv"><tbody>
      <tr><th>Size</th><td>${bytes(sel.size)} (${num(sel.size)} bytes)</td></tr>
      <tr><th>SHA-256</th><td><code data-testid="obj-sha256">${Array.from(b64(sel.sha256), (x) => x.toString(16).padStart(2, '0')).join('')}</code></td></tr>
      <tr><th>Modified</th><td>${when(sel.modified)}</td></tr>
      <tr><th>Chunks</th><td>${num(sel.chunks)}</td></tr>
      <tr><th>Description</th><td>${sel.description || '—'}</td></tr>
      ${Object.entries(sel.metadata || {}).map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}
    </tbody></table>
    <p class="actions"><a class="button" href=${api.objectURL(bucket, sel.name)} download>Download</a>
      <button class="danger" onClick=${() => del(sel)}>Delete…</button></p>`}</div></div>
  </section>`;
}

// ---- Live tail --------------------------------------------------------------------

export function Tail() {
  const [subject, setSubject] = useState('>');
  const [on, setOn] = useState(false);
  const [msgs, setMsgs] = useState([]);
  const [dropped, setDropped] = useState(0);
  const [error, setError] = useState(null);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    if (!on) return undefined;
    setMsgs([]); setDropped(0); setError(null); setReady(false);
    return api.live('MessagingService/Subscribe', { subject }, {
      onMessage: (m) => {
        if (m.ready) setReady(true);
        if (Number(m.dropped) > 0) setDropped((d) => d + Number(m.dropped));
        if (m.messages && m.messages.length) setMsgs((old) => [...m.messages.slice().reverse(), ...old].slice(0, 500));
      },
      onDropped: (n) => setDropped((d) => Math.max(d, n)),
      onEnd: (err) => { setError(err); setOn(false); },
    });
  }, [on]);
  return html`<section>
    <h1>Live tail</h1>
    <form class="form inline" onSubmit=${(e) => { e.preventDefault(); setOn(!on); }}>
      <input name="subject" value=${subject} onInput=${(e) => setSubject(e.target.value)} disabled=${on} placeholder="events.>" />
      <button type="submit">${on ? 'Stop' : 'Start'}</button>
      ${on && ready && html`<span class="ok" role="status">Listening on <code>${subject}</code></span>`}
    </form>
    <${ErrorBox} error=${error} />
    ${dropped > 0 && html`<p class="bad">${num(dropped)} messages dropped (too fast for this page).</p>`}
    <p class="muted">The newest 500 messages, newest first.</p>
    <table class="list" data-testid="tail"><thead><tr><th>Subject</th><th>Data</th><th>Headers</th></tr></thead>
    <tbody>${msgs.map((m) => html`<tr><td><code>${m.subject}</code></td>
      <td><code>${(new TextDecoder().decode(b64(m.data))).slice(0, 200)}</code></td>
      <td>${Object.entries(m.headers || {}).map(([k, v]) => `${k}: ${(v.values || []).join(', ')}`).join('; ')}</td></tr>`)}</tbody></table>
  </section>`;
}
