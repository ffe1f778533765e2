// taskloop's dashboard. Alpine.js renders what the public API answers; ECharts draws the charts.
// Every request goes to /v1/... with the caller's key (kept in sessionStorage, sent as Bearer),
// so the dashboard sees exactly what that key may see. Live parts follow the API's server-sent
// event streams and redraw at most once a second, so a busy node cannot flood the page.
'use strict';

const KEY = 'taskloop.key';
const FINAL = ['succeeded', 'failed', 'cancelled', 'timed_out'];
const STATES = ['pending', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'];
const TYPES = ['sleep', 'external', 'event', 'http', 'eventbus', 'gather', 'wait', 'wait_for', 'shield'];
const PAGE_SIZE = 50;
const REDRAW_MS = 1000;
/** What this page took in and redrew, for an operator's console (and the dashboard's load test). */
const counters = window.taskloopCounters = {events: 0, listLoads: 0, clusterPolls: 0};

/** A problem+json answer (or a failure to reach the node) as an Error whose message says what went wrong. */
class ApiError extends Error {
  constructor(status, problem) {
    const where = problem && problem.pointer ? ' (' + problem.pointer + ')' : problem && problem.parameter ? ' (' + problem.parameter + ')' : '';
    super(problem && problem.detail ? problem.detail + where : 'HTTP ' + status);
    this.status = status;
    this.problem = problem;
  }
}

function authHeaders(extra) {
  const headers = Object.assign({Accept: 'application/json'}, extra || {});
  const key = sessionStorage.getItem(KEY);
  if (key) {
    headers.Authorization = 'Bearer ' + key;
  }
  return headers;
}

/** One call of the public API; resolves to its JSON (null for 204), rejects with an ApiError. */
async function api(method, path, body) {
  const init = {method, headers: authHeaders(body === undefined ? {} : {'Content-Type': 'application/json'})};
  if (body !== undefined) {
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    Alpine.store('session').askForKey('The node asks for a key.');
  }
  if (response.status === 204) {
    return null;
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, data);
  }
  return data;
}

/**
 * Follows a server-sent event stream of the API. EventSource cannot send a key, so the stream
 * is read with fetch; on a drop it reconnects after a second with the last event's id as
 * Last-Event-ID, unless the server ended it after a final state (a task's own stream). Calls
 * onEvent(name, data) for every event; returns {close}.
 */
function follow(path, onEvent, options) {
  const opts = Object.assign({reconnect: true, onOpen: () => {}}, options || {});
  const controller = new AbortController();
  let lastId = null;
  let closed = false;
  const run = async () => {
    while (!closed) {
      let ended = false;
      try {
        const headers = authHeaders({Accept: 'text/event-stream'});
        if (lastId !== null) {
          headers['Last-Event-ID'] = lastId;
        }
        const response = await fetch(path, {headers, signal: controller.signal});
        if (!response.ok) {
          if (response.status === 401) {
            Alpine.store('session').askForKey('The node asks for a key.');
            return;
          }
          throw new ApiError(response.status, await response.json().catch(() => null));
        }
        opts.onOpen();
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const {value, done} = await reader.read();
          if (done) {
            ended = true;
            break;
          }
          buffer += decoder.decode(value, {stream: true});
          let cut;
          while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
            const event = {name: 'message', data: '', id: null};
            for (const line of block.split(/\r?\n/)) {
              if (line.startsWith(':')) {
                continue; // a comment: the greeting or a heartbeat
              }
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'event') {
                event.name = text;
              } else if (field === 'data') {
                event.data += (event.data ? '\n' : '') + text;
              } else if (field === 'id') {
                event.id = text;
              }
            }
            if (event.id !== null) {
              lastId = event.id;
            }
            if (event.data) {
              counters.events++;
              onEvent(event.name, JSON.parse(event.data));
            }
          }
        }
      } catch (e) {
        if (closed) {
          return;
        }
        if (e instanceof ApiError && e.status >= 400 && e.status < 500) {
          onEvent('error', {detail: e.message});
          return; // a refusal will not change by asking again
        }
      }
      if (ended && !opts.reconnect) {
        return;
      }
      await new Promise(resolve => setTimeout(resolve, 1000));
    }
  };
  run();
  return {
    close() {
      closed = true;
      controller.abort();
    },
  };
}

/** Calls fn at most once per ms; a call meanwhile is run at the end of the interval. */
function throttle(fn, ms) {
  let timer = null;
  let pending = false;
  let last = 0;
  return function throttled() {
    const wait = last + ms - Date.now();
    if (wait <= 0 && timer === null) {
      last = Date.now();
      fn();
      return;
    }
    pending = true;
    if (timer === null) {
      timer = setTimeout(() => {
        timer = null;
        if (pending) {
          pending = false;
          last = Date.now();
          fn();
        }
      }, Math.max(wait, 0));
    }
  };
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') {
      q.set(k, v);
    }
  }
  const text = q.toString();
  return text ? '?' + text : '';
}

function when(instant) {
  if (!instant) {
    return '';
  }
  return new Date(instant).toISOString().replace('T', ' ');
}

function json(value) {
  return value === undefined ? '' : JSON.stringify(value, null, 2);
}

/** What a text field holds as JSON: empty means absent; anything else must parse. */
function parsedOrAbsent(text, field) {
  if (text === null || text.trim() === '') {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(field + ' is not JSON: ' + e.message);
  }
}

function pageOf(path) {
  const parts = path.replace(/\/+$/, '').split('/').filter(Boolean); // ['ui', ...]
  if (parts.length === 1) {
    return {name: 'overview'};
  }
  if (parts[1] === 'tasks' && parts.length === 3) {
    return {name: 'task', id: decodeURIComponent(parts[2])};
  }
  return {name: parts[1]};
}

document.addEventListener('alpine:init', () => {
  Alpine.store('session', {
    page: pageOf(location.pathname),
    me: null,
    needKey: false,
    keyMessage: '',
    keyText: '',
    notice: '',
    async start() {
      try {
        this.me = await api('GET', '/v1/whoami');
        this.needKey = false;
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 401)) {
          this.notice = 'Cannot reach the node: ' + e.message;
        }
      }
    },
    askForKey(message) {
      this.me = null;
      this.needKey = true;
      this.keyMessage = sessionStorage.getItem(KEY) ? 'That key was refused; give another.' : message;
    },
    async useKey() {
      sessionStorage.setItem(KEY, this.keyText.trim());
      this.keyText = '';
      await this.start();
    },
    signOut() {
      sessionStorage.removeItem(KEY);
      location.reload();
    },
    nav(name) {
      return this.page.name === name || (name === 'tasks' && this.page.name === 'task') ? 'active' : '';
    },
  });

  Alpine.data('overview', () => ({
    cluster: null,
    rates: {created: 0, finished: 0},
    recent: [],
    error: '',
    timer: null,
    stream: null,
    chart: null,
    rateChart: null,
    previous: null,
    history: {},
    init() {
      const refreshRecent = throttle(() => this.loadRecent(), REDRAW_MS);
      this.loadRecent();
      this.stream = follow('/v1/stream', name => name === 'task' && refreshRecent());
      if (this.$store.session.me.admin) {
        this.$nextTick(() => { // the charts' elements exist once the admin part has rendered
          this.chart = echarts.init(this.$refs.lateness);
          this.rateChart = echarts.init(this.$refs.rates);
          this.poll();
          this.timer = setInterval(() => this.poll(), REDRAW_MS);
        });
      }
    },
    destroy() {
      clearInterval(this.timer);
      this.stream && this.stream.close();
    },
    async loadRecent() {
      try {
        this.recent = (await api('GET', '/v1/tasks?order=newest&limit=10')).items;
      } catch (e) {
        this.error = e.message;
      }
    },
    async poll() {
      try {
        counters.clusterPolls++;
        const cluster = await api('GET', '/v1/cluster');
        const now = Date.now();
        const totals = {created: 0, finished: 0};
        for (const node of cluster.nodes) {
          for (const loop of node.loops) {
            totals.created += loop.created;
            totals.finished += loop.finished;
          }
        }
        if (this.previous) {
          const seconds = (now - this.previous.at) / 1000;
          this.rates = {
            created: Math.max(0, Math.round((totals.created - this.previous.created) / seconds)),
            finished: Math.max(0, Math.round((totals.finished - this.previous.finished) / seconds)),
          };
        }
        this.previous = Object.assign({at: now}, totals);
        this.cluster = cluster;
        this.error = '';
        this.record(now, cluster);
      } catch (e) {
        this.error = e.message;
      }
    },
    record(now, cluster) {
      const keep = points => points.length > 120 ? points.slice(points.length - 120) : points;
      for (const node of cluster.nodes) {
        const h = this.history[node.id] || (this.history[node.id] = {p50: [], p99: []});
        h.p50 = keep(h.p50.concat([[now, node.timer_lateness_recent.p50_ms]]));
        h.p99 = keep(h.p99.concat([[now, node.timer_lateness_recent.p99_ms]]));
      }
      const r = this.history._rates || (this.history._rates = {created: [], finished: []});
      r.created = keep(r.created.concat([[now, this.rates.created]]));
      r.finished = keep(r.finished.concat([[now, this.rates.finished]]));
      const series = [];
      for (const [id, h] of Object.entries(this.history)) {
        if (id !== '_rates') {
          series.push({name: id + ' p50', type: 'line', showSymbol: false, data: h.p50});
          series.push({name: id + ' p99', type: 'line', showSymbol: false, data: h.p99});
        }
      }
      this.chart.setOption({
        animation: false,
        tooltip: {trigger: 'axis'},
        legend: {top: 0},
        grid: {left: 50, right: 20, top: 40, bottom: 30},
        xAxis: {type: 'time'},
        yAxis: {type: 'value', name: 'ms'},
        series,
      }, {replaceMerge: ['series']});
      this.rateChart.setOption({
        animation: false,
        tooltip: {trigger: 'axis'},
        legend: {top: 0},
        grid: {left: 60, right: 20, top: 40, bottom: 30},
        xAxis: {type: 'time'},
        yAxis: {type: 'value', name: 'per second'},
        series: [
          {name: 'creates', type: 'line', showSymbol: false, data: r.created},
          {name: 'finishes', type: 'line', showSymbol: false, data: r.finished},
        ],
      });
    },
  }));

  Alpine.data('tasks', () => ({
    filters: {state: '', type: '', name: '', label: '', schedule: ''},
    items: [],
    cursors: [],
    next: null,
    fresh: 0,
    counted: new Set(),
    pending: new Map(),
    live: false,
    error: '',
    busy: '',
    stream: null,
    init() {
      const q = new URLSearchParams(location.search);
      for (const k of Object.keys(this.filters)) {
        this.filters[k] = q.get(k) || '';
      }
      const label = this.filters.label;
      if (label.startsWith('schedule=') && !this.filters.schedule) {
        this.filters.schedule = label.slice('schedule='.length);
        this.filters.label = '';
      }
      this.apply();
    },
    destroy() {
      this.stream && this.stream.close();
    },
    /** The API's filters: a schedule is the label schedule=<id>, so it takes the one label filter. */
    serverFilters() {
      const f = this.filters;
      return {state: f.state, type: f.type, name: f.name.trim(), label: f.schedule.trim() ? 'schedule=' + f.schedule.trim() : f.label.trim()};
    },
    apply() {
      const f = this.filters;
      history.replaceState(null, '', '/ui/tasks' + query({state: f.state, type: f.type, name: f.name, label: f.label, schedule: f.schedule}));
      this.cursors = [];
      this.load(null);
      this.stream && this.stream.close();
      this.live = false;
      const redraw = throttle(() => this.redraw(), REDRAW_MS);
      this.stream = follow('/v1/stream' + query(this.serverFilters()), (name, data) => {
        if (name === 'task') {
          this.changed(data);
          redraw();
        } else if (name === 'gap') {
          redraw();
        } else if (name === 'error') {
          this.error = data.detail;
        }
      }, {onOpen: () => {
        this.live = true;
      }});
    },
    async load(cursor) {
      try {
        counters.listLoads++;
        const page = await api('GET', '/v1/tasks' + query(Object.assign({order: 'newest', limit: PAGE_SIZE, cursor}, this.serverFilters())));
        this.items = page.items;
        this.next = page.next_cursor;
        this.fresh = 0;
        this.counted.clear();
        this.pending.clear();
        this.error = '';
      } catch (e) {
        this.error = e.message;
      }
    },
    /** A change seen on the stream: kept for the next redraw (the latest per task); a new task is counted. */
    changed(task) {
      const newest = this.items.length ? this.items[0].created_at : '';
      if (this.items.some(t => t.id === task.id)) {
        const seen = this.pending.get(task.id);
        if (!seen || seen.version < task.version) {
          this.pending.set(task.id, task);
        }
      } else if (task.created_at >= newest && !this.counted.has(task.id)) {
        this.counted.add(task.id);
        this.fresh++;
      }
    },
    /** At most once a second: rows take their changes; on the first page, new tasks come in at the top. */
    redraw() {
      if (this.cursors.length === 0 && this.fresh > 0) {
        this.load(null);
        return;
      }
      this.items = this.items.map(t => {
        const change = this.pending.get(t.id);
        return change && change.version > t.version ? change : t;
      });
      this.pending.clear();
    },
    older() {
      this.cursors.push(this.next);
      this.load(this.next);
    },
    newer() {
      this.cursors.pop();
      this.load(this.cursors.length ? this.cursors[this.cursors.length - 1] : null);
    },
    async cancel(task) {
      await this.act(task, () => api('POST', '/v1/tasks/' + encodeURIComponent(task.id) + '/cancel'));
    },
    async act(task, call) {
      this.busy = task.id;
      try {
        const after = await call();
        if (after) {
          this.items = this.items.map(t => t.id === after.id && after.version > t.version ? after : t);
        }
        this.error = '';
      } catch (e) {
        this.error = e.message;
      } finally {
        this.busy = '';
      }
    },
  }));

  Alpine.data('task', () => ({
    id: '',
    task: null,
    children: [],
    error: '',
    result: '',
    failType: 'Rejected',
    failMessage: '',
    stream: null,
    init() {
      this.id = this.$store.session.page.id;
      this.load();
    },
    destroy() {
      this.stream && this.stream.close();
      clearInterval(this.timer);
    },
    timer: null,
    /**
     * The task, then its changes: followed on its stream when this node holds it; a task of
     * another node (reached through this one) is read again each second until it finishes.
     */
    async load() {
      const path = '/v1/tasks/' + encodeURIComponent(this.id);
      try {
        this.show(await api('GET', path));
      } catch (e) {
        this.error = e.message;
        return;
      }
      if (this.task.loop.node === this.$store.session.me.node) {
        this.stream = follow(path + '/stream', (name, data) => name === 'task' && this.show(data), {reconnect: false});
      } else {
        this.timer = setInterval(async () => {
          if (this.final()) {
            clearInterval(this.timer);
            return;
          }
          try {
            this.show(await api('GET', path));
          } catch (e) {
            this.error = e.message;
          }
        }, REDRAW_MS);
      }
    },
    show(task) {
      if (this.task && task.version < this.task.version) {
        return;
      }
      const childrenChanged = !this.task || this.task.children.length !== task.children.length || FINAL.includes(task.state);
      this.task = task;
      if (childrenChanged) {
        this.loadChildren();
      }
    },
    async loadChildren() {
      const ids = this.task.children.slice(0, 100);
      const found = await Promise.all(ids.map(id => api('GET', '/v1/tasks/' + encodeURIComponent(id)).catch(() => ({id, state: 'unknown'}))));
      this.children = found;
    },
    timeline() {
      const t = this.task;
      const out = [{what: 'created', at: t.created_at}];
      if (t.start_at) {
        out.push({what: 'due to start', at: t.start_at});
      }
      if (t.started_at) {
        out.push({what: 'started', at: t.started_at});
      }
      for (const a of t.attempts || []) {
        out.push({what: 'attempt ' + a.number + ' began', at: a.started_at});
        if (a.finished_at) {
          out.push({what: 'attempt ' + a.number + ' ended' + (a.error ? ': ' + a.error.type + ' ' + (a.error.message || '') : ''), at: a.finished_at});
        }
      }
      if (t.deadline && !t.finished_at) {
        out.push({what: 'deadline', at: t.deadline});
      }
      if (t.finished_at) {
        out.push({what: t.state, at: t.finished_at});
      }
      return out.sort((a, b) => a.at < b.at ? -1 : a.at > b.at ? 1 : 0);
    },
    final() {
      return this.task && FINAL.includes(this.task.state);
    },
    async act(call) {
      try {
        this.show(await call());
        this.error = '';
      } catch (e) {
        this.error = e.message;
      }
    },
    cancel() {
      return this.act(() => api('POST', '/v1/tasks/' + encodeURIComponent(this.id) + '/cancel'));
    },
    complete() {
      return this.act(() => {
        const result = parsedOrAbsent(this.result, 'result');
        return api('POST', '/v1/tasks/' + encodeURIComponent(this.id) + '/complete', result === undefined ? {} : {result});
      });
    },
    fail() {
      return this.act(() => api('POST', '/v1/tasks/' + encodeURIComponent(this.id) + '/fail',
          {error: {type: this.failType, message: this.failMessage}}));
    },
  }));

  Alpine.data('events', () => ({
    items: [],
    next: null,
    cursors: [],
    error: '',
    name: '',
    payload: '',
    timer: null,
    init() {
      this.load();
      this.timer = setInterval(() => this.load(), REDRAW_MS);
    },
    destroy() {
      clearInterval(this.timer);
    },
    async load() {
      try {
        const cursor = this.cursors.length ? this.cursors[this.cursors.length - 1] : null;
        const page = await api('GET', '/v1/events' + query({limit: PAGE_SIZE, cursor}));
        this.items = page.items;
        this.next = page.next_cursor;
      } catch (e) {
        this.error = e.message;
      }
    },
    async set(name, payloadText) {
      try {
        const payload = parsedOrAbsent(payloadText, 'payload');
        await api('PUT', '/v1/events/' + encodeURIComponent(name), payload === undefined ? {} : {payload});
        this.error = '';
        this.load();
      } catch (e) {
        this.error = e.message;
      }
    },
    async clear(name) {
      try {
        await api('DELETE', '/v1/events/' + encodeURIComponent(name));
        this.error = '';
        this.load();
      } catch (e) {
        this.error = e.message;
      }
    },
    older() {
      this.cursors.push(this.next);
      this.load();
    },
    newer() {
      this.cursors.pop();
      this.load();
    },
  }));

  Alpine.data('schedules', () => ({
    items: [],
    next: null,
    cursors: [],
    error: '',
    note: '',
    timer: null,
    init() {
      this.load();
      this.timer = setInterval(() => this.load(), REDRAW_MS);
    },
    destroy() {
      clearInterval(this.timer);
    },
    async load() {
      try {
        const cursor = this.cursors.length ? this.cursors[this.cursors.length - 1] : null;
        const page = await api('GET', '/v1/schedules' + query({limit: PAGE_SIZE, cursor}));
        this.items = page.items;
        this.next = page.next_cursor;
      } catch (e) {
        this.error = e.message;
      }
    },
    async act(schedule, what) {
      try {
        const answer = await api('POST', '/v1/schedules/' + encodeURIComponent(schedule.id) + '/' + what);
        this.note = what === 'trigger' ? schedule.id + ': ' + answer.outcome + (answer.task_id ? ' ' + answer.task_id : '') : '';
        this.error = '';
        this.load();
      } catch (e) {
        this.error = e.message;
      }
    },
    cadence(s) {
      return s.cron ? s.cron + ' (' + s.time_zone + ')' : 'every ' + s.every_ms + ' ms';
    },
    older() {
      this.cursors.push(this.next);
      this.load();
    },
    newer() {
      this.cursors.pop();
      this.load();
    },
  }));
});

document.addEventListener('alpine:initialized', () => Alpine.store('session').start());
