// The natsgw console: login, navigation, and the page for the current
// location (#/streams/ORDERS, ...). Everything is scoped to the logged-in
// organization by the gateway itself.
import { render } from 'preact';
import { useState, useEffect } from 'preact/hooks';
import * as api from './api.js';
import { html, ErrorBox } from './ui.js';
import {
  Overview, Streams, StreamDetail, DeadLetters, DeadLetterDetail, KV, KVBucket, Objects, ObjectBucket, Tail,
} from './pages.js';
import { Tasks } from './tasks.js';

function useHash() {
  const [hash, setHash] = useState(window.location.hash.slice(1) || '/');
  useEffect(() => {
    const on = () => setHash(window.location.hash.slice(1) || '/');
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash;
}

const NAV = [
  ['/', 'Overview'], ['/streams', 'Streams'], ['/dead-letters', 'Dead letters'], ['/kv', 'Key-value'],
  ['/objects', 'Objects'], ['/tail', 'Live tail'], ['/tasks', 'Tasks'],
];

function route(path) {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case undefined: return html`<${Overview} />`;
    case 'streams': return parts[1] ? html`<${StreamDetail} name=${parts[1]} key=${parts[1]} />` : html`<${Streams} />`;
    case 'dead-letters': return parts[1] ? html`<${DeadLetterDetail} name=${parts[1]} key=${parts[1]} />` : html`<${DeadLetters} />`;
    case 'kv': return parts[1] ? html`<${KVBucket} bucket=${parts[1]} key=${parts[1]} />` : html`<${KV} />`;
    case 'objects': return parts[1] ? html`<${ObjectBucket} bucket=${parts[1]} key=${parts[1]} />` : html`<${Objects} />`;
    case 'tail': return html`<${Tail} />`;
    case 'tasks': return html`<${Tasks} queue=${parts[1]} key=${parts[1] || ''} />`;
    default: return html`<p>No such page. <a href="#/">Overview</a></p>`;
  }
}

function Login({ tokenMode, onLogin }) {
  const [error, setError] = useState(null);
  async function submit(e) {
    e.preventDefault();
    const f = e.target.elements;
    try {
      onLogin(await api.login(tokenMode ? { token: f.token.value } : { org: f.org.value, user: f.user.value }));
    } catch (err) { setError(err); }
  }
  return html`<main class="login">
    <h1>natsgw console</h1>
    <form onSubmit=${submit} class="form">
      ${tokenMode ? html`
        <label>Token <input name="token" type="password" autocomplete="off" required autofocus /></label>
        <p class="muted">The token decides your organization. It is kept in this browser session only.</p>` : html`
        <label>Organization <input name="org" placeholder="default" autofocus /></label>
        <label>User <input name="user" placeholder="anonymous" /></label>
        <p class="muted">This gateway runs in open mode (no tokens): anyone who reaches it can act as any organization.</p>`}
      <button type="submit">Log in</button>
    </form>
    <${ErrorBox} error=${error} />
  </main>`;
}

function App() {
  const [who, setWho] = useState(null);
  const path = useHash();
  useEffect(() => { api.session().then(setWho, () => setWho({ logged_in: false })); }, []);
  if (!who) return html`<p class="loading">Loading…</p>`;
  if (!who.logged_in) return html`<${Login} tokenMode=${who.token_mode} onLogin=${setWho} />`;
  async function logout() {
    await api.logout().catch(() => {});
    setWho({ logged_in: false, token_mode: who.token_mode });
  }
  const top = '/' + (path.split('/')[1] || '');
  return html`<div class="shell">
    <nav>
      <div class="brand">natsgw</div>
      ${NAV.map(([href, label]) => html`<a href=${'#' + href} class=${top === href ? 'sel' : ''}>${label}</a>`)}
      <div class="who">org <strong data-testid="org">${who.org}</strong><br />user ${who.user}<br />
        <button class="small" onClick=${logout}>Log out</button></div>
    </nav>
    <main>${route(path)}</main>
  </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
