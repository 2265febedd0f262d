// The tasks page: a queue's counts by state, its tasks by state (dead ones
// with their last error), retry of dead tasks, pause and resume, and its
// periodic schedules. Everything goes through the gateway's TaskService.
import { useState } from 'preact/hooks';
import * as api from './api.js';
import {
  html, useAsync, ErrorBox, confirmed, num, when, Payload,
} from './ui.js';

const STATES = ['scheduled', 'queued', 'running', 'retrying', 'succeeded', 'dead'];
const go = (path) => { window.location.hash = path; };
const enc = encodeURIComponent;

export function Tasks({ queue }) {
  return queue ? html`<${Queue} queue=${queue} />` : html`<${Queues} />`;
}

function Queues() {
  const { data, error, reload } = useAsync(async () => {
    const { queues = [] } = await api.rpc('TaskService/ListQueues');
    return Promise.all(queues.map((q) => api.rpc('TaskService/GetQueueStats', { queue: q }).then((r) => r.stats)));
  }, []);
  const unavailable = error && (error.code === 'NOT_FOUND' || error.code === 'UNIMPLEMENTED');
  return html`<section>
    <h1>Task queues <button class="small" onClick=${reload}>Refresh</button></h1>
    ${unavailable ? html`<p class="muted">This gateway has no task service.</p>` : html`<${ErrorBox} error=${error} />`}
    ${data && data.length === 0 && html`<p class="muted">No task queues yet.</p>`}
    ${data && data.length > 0 && html`
    <table class="list"><thead><tr><th>Queue</th>${STATES.map((s) => html`<th class="n">${s}</th>`)}<th></th></tr></thead>
    <tbody>${data.map((q) => html`<tr class="link" data-testid=${`queue-${q.queue}`} onClick=${() => go(`/tasks/${enc(q.queue)}`)}>
      <td><a href=${`#/tasks/${enc(q.queue)}`}>${q.queue}</a></td>
      ${STATES.map((s) => html`<td class=${s === 'dead' && Number(q[s]) > 0 ? 'n bad' : 'n'}>${num(q[s])}</td>`)}
      <td>${q.paused ? html`<span class="tag">paused</span>` : ''}</td></tr>`)}</tbody></table>`}
  </section>`;
}

function Queue({ queue }) {
  const stats = useAsync(() => api.rpc('TaskService/GetQueueStats', { queue }), [queue]);
  const [state, setState] = useState('dead');
  const [tokens, setTokens] = useState(['']);
  const page = tokens[tokens.length - 1];
  const tasks = useAsync(() => api.rpc('TaskService/ListTasks', {
    queue, state: `TASK_STATE_${state.toUpperCase()}`, limit: 25, page_token: page,
  }), [queue, state, page]);
  const schedules = useAsync(() => api.rpc('TaskService/ListSchedules', { queue }), [queue]);
  const [error, setError] = useState(null);
  const [done, setDone] = useState('');
  const [open, setOpen] = useState(null);
  const s = stats.data && stats.data.stats;
  const reload = () => { stats.reload(); tasks.reload(); };

  async function act(method, req, what, message) {
    if (what && !confirmed(what)) return;
    try { await api.rpc(method, req); setError(null); setDone(message); reload(); } catch (e) { setError(e); }
  }
  const list = (tasks.data && tasks.data.tasks) || [];
  return html`<section>
    <p><a href="#/tasks">‹ Task queues</a></p>
    <h1>Queue ${queue}
      ${s && (s.paused
        ? html`<button class="small" onClick=${() => act('TaskService/ResumeQueue', { queue }, null, 'Resumed.')}>Resume</button>`
        : html`<button class="small" onClick=${() => act('TaskService/PauseQueue', { queue }, `Pause queue ${queue}? Workers get no tasks until it resumes.`, 'Paused.')}>Pause…</button>`)}
      <button class="small danger" onClick=${() => act('TaskService/PurgeQueue', { queue, states: [`TASK_STATE_${state.toUpperCase()}`] }, `Purge every ${state} task of ${queue}?`, `Purged the ${state} tasks.`)}>Purge ${state}…</button>
    </h1>
    <${ErrorBox} error=${stats.error || tasks.error || error} />
    ${done && html`<p class="ok" role="status">${done}</p>`}
    ${s && html`<div class="cards">${STATES.map((st) => html`
      <button class=${st === state ? 'card sel' : 'card'} onClick=${() => { setState(st); setTokens(['']); }}
        data-testid=${`count-${st}`}><div class="label">${st}</div><div class="value">${num(s[st])}</div></button>`)}
    </div>
    ${s.paused && html`<p class="bad">Paused${s.paused_until ? ` until ${when(s.paused_until)}` : ''}.</p>`}
    ${Object.keys(s.rate_limits || {}).length > 0 && html`<p class="muted">Rate limits: ${Object.entries(s.rate_limits).map(([t, r]) => `${t} ${r}/s`).join(', ')}</p>`}`}
    <h2>${state} tasks</h2>
    ${list.length === 0 ? html`<p class="muted">None.</p>` : html`
    <table class="list"><thead><tr><th>Id</th><th>Type</th><th>Priority</th><th class="n">Retries</th><th>Enqueued</th><th>Run at / finished</th><th>Error</th><th></th></tr></thead>
    <tbody>${list.map((t) => html`
      <tr class="link" data-testid=${`task-${t.id}`} onClick=${() => setOpen(open === t.id ? null : t.id)}>
        <td><code>${t.id}</code></td><td>${t.task_type}</td><td>${(t.priority || '').replace('TASK_PRIORITY_', '').toLowerCase()}</td>
        <td class="n">${t.retries} / ${t.max_retries}</td><td>${when(t.enqueued_at)}</td>
        <td>${when(t.finished_at || t.run_at)}</td><td class="bad">${t.error}</td>
        <td class="actions">${state === 'dead' && html`<button class="small" onClick=${(e) => {
          e.stopPropagation(); act('TaskService/RetryTask', { queue, task_id: t.id }, `Run task ${t.id} again?`, `Task ${t.id} queued again.`);
        }}>Retry…</button>`}</td></tr>
      ${open === t.id && html`<tr class="detail"><td colspan="8"><h3>Payload</h3><${Payload} data=${t.payload} />
        ${t.result && html`<h3>Result</h3><${Payload} data=${t.result} />`}</td></tr>`}`)}
    </tbody></table>`}
    <div class="pager">
      <button disabled=${tokens.length === 1} onClick=${() => setTokens(tokens.slice(0, -1))}>‹ Prev</button>
      <button disabled=${!(tasks.data && tasks.data.next_page_token)} onClick=${() => setTokens([...tokens, tasks.data.next_page_token])}>Next ›</button>
    </div>
    <h2>Schedules</h2>
    ${((schedules.data && schedules.data.schedules) || []).length === 0 ? html`<p class="muted">No periodic schedules.</p>` : html`
    <table class="list"><thead><tr><th>Name</th><th>When</th><th>Task</th><th></th></tr></thead>
    <tbody>${schedules.data.schedules.map((sc) => html`<tr><td>${sc.name}</td>
      <td><code>${sc.cron || `every ${sc.every}`}</code>${sc.time_zone ? ` (${sc.time_zone})` : ''}</td>
      <td>${sc.template && sc.template.task_type}</td>
      <td class="actions"><button class="small danger" onClick=${() => act('TaskService/DeleteSchedule', { queue, name: sc.name }, `Delete schedule ${sc.name}?`, `Schedule ${sc.name} deleted.`).then(schedules.reload)}>Delete…</button></td></tr>`)}</tbody></table>`}
  </section>`;
}
