// 通办 · 政务服务统计 — the supervisors' dashboard.
//
// Plain ES2020, no framework, no build step, nothing fetched from outside the platform. Loaded
// with `defer` from index.html; every handler is attached here (the page runs under a
// Content-Security-Policy of `default-src 'self'`: no inline scripts or handlers).
//
// State that survives a reload lives in two places: the session (tokens) in sessionStorage,
// and the view (region, period, basis, tab) in the URL's fragment, e.g.
// `#region=430121000000&period=month&basis=handling&tab=item`. The page's query string keeps
// its own settings (`?refresh=N`, seconds between automatic reloads, default 30, at least 1).
'use strict';

(() => {
  const API = {
    token: '/api/identity/v1/oauth/token',
    revoke: '/api/identity/v1/oauth/revoke',
    statistics: '/api/insight/v1/statistics',
    crossRegion: '/api/insight/v1/statistics/cross-region',
    halls: '/api/insight/v1/statistics/halls',
    hallCentre: (code) => `/api/hall/v1/centres/${encodeURIComponent(code)}`,
    region: (code) => `/api/catalogue/v1/regions/${encodeURIComponent(code)}`,
    children: (code) => `/api/catalogue/v1/regions/${encodeURIComponent(code)}/children`,
  };
  const SESSION_KEY = 'tongban.insight.session';
  const REQUEST_TIMEOUT_MS = 20000;
  const TABS = ['item', 'department', 'channel', 'status', 'ratings', 'crossregion', 'halls'];
  const TOP_ITEMS = 20;

  // Significant digits of a region code at each level (GB/T 2260 plus town and village).
  const SIGNIFICANT = { province: 2, city: 4, county: 6, town: 9, village: 12 };
  const LEVEL_LABELS = {
    province: '省级 province',
    city: '市级 city',
    county: '县级 county',
    town: '乡镇级 town',
    village: '村级 village',
  };
  const CHILD_NOUN = { province: '市', city: '县（区）', county: '乡镇（街道）', town: '村（社区）' };
  const STATUS = [
    ['submitted', '待受理', 'submitted', '#90a4ae'],
    ['needs_correction', '待补正', 'needs correction', '#ffb74d'],
    ['accepted', '办理中', 'accepted', '#42a5f5'],
    ['returned', '被退回', 'returned', '#ef6c00'],
    ['refused', '不予受理', 'refused', '#e57373'],
    ['withdrawn', '已撤回', 'withdrawn', '#bdbdbd'],
    ['concluded', '已办结', 'concluded', '#66bb6a'],
    ['delivered', '已送达', 'delivered', '#2e7d32'],
  ];
  const CHANNELS = { online: ['网上办理', 'online'], window: ['窗口办理', 'window'] };
  const RATING_LEVELS = ['非常不满意', '不满意', '基本满意', '满意', '非常满意'];

  // ---------------------------------------------------------------------------------------
  // Small helpers

  const $ = (id) => document.getElementById(id);
  const SVG_NS = 'http://www.w3.org/2000/svg';

  /** An element: `attrs` may hold `class`, `text`, `title`, `data-*`, any attribute. */
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
    return node;
  }

  function s(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
    return node;
  }

  function setAttrs(node, attrs) {
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'text') node.textContent = String(value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
  }

  const intFormat = new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 0 });
  const decFormats = new Map();
  const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

  function fmtInt(v) {
    return isNum(v) ? intFormat.format(v) : '—';
  }

  function fmtDec(v, digits = 1) {
    if (!isNum(v)) return '—';
    if (!decFormats.has(digits)) {
      decFormats.set(
        digits,
        new Intl.NumberFormat('zh-CN', { minimumFractionDigits: digits, maximumFractionDigits: digits }),
      );
    }
    return decFormats.get(digits).format(v);
  }

  function fmtPct(v) {
    return isNum(v) ? `${(v * 100).toFixed(1)}%` : '—';
  }

  // China has one time zone and no daylight saving: UTC+8 is exact.
  function chinaParts(date) {
    const iso = new Date(date.getTime() + 8 * 3600 * 1000).toISOString();
    return { date: iso.slice(0, 10), time: iso.slice(11, 19) };
  }

  const chinaToday = () => chinaParts(new Date()).date;

  function presetRange(preset) {
    const today = chinaToday();
    if (preset === 'month') return [`${today.slice(0, 8)}01`, today];
    if (preset === 'year') return [`${today.slice(0, 5)}01-01`, today];
    return [today, today];
  }

  const isDate = (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v);

  // ---------------------------------------------------------------------------------------
  // Region codes

  function regionLevel(code) {
    if (!/^\d{12}$/.test(code || '')) return null;
    if (/^\d{2}0{10}$/.test(code)) return 'province';
    if (/^\d{4}0{8}$/.test(code)) return 'city';
    if (/^\d{6}0{6}$/.test(code)) return 'county';
    if (/^\d{9}000$/.test(code)) return 'town';
    return 'village';
  }

  function regionPrefix(code) {
    const level = regionLevel(code);
    return level ? code.slice(0, SIGNIFICANT[level]) : code;
  }

  const isWithin = (code, ancestor) => regionLevel(code) !== null && code.startsWith(regionPrefix(ancestor));

  /** The parent by the code's nesting (special zones nest differently; this is a default). */
  function prefixParent(code) {
    const keep = { city: 2, county: 4, town: 6, village: 9 }[regionLevel(code)];
    return keep ? code.slice(0, keep).padEnd(12, '0') : null;
  }

  /** Whether a child region can be drilled into: real regions down to town level. */
  function drillable(code) {
    const level = regionLevel(code);
    return level !== null && level !== 'village' && code !== current();
  }

  // ---------------------------------------------------------------------------------------
  // Catalogue (public: no token, cached for the page's life)

  const regionNames = new Map(); // code -> name
  const regionRequests = new Map(); // code -> Promise<region|null>
  const childrenRequests = new Map(); // code -> Promise<region[]>

  async function publicJson(url) {
    const res = await timedFetch(url, { headers: { Accept: 'application/json' } });
    if (!res.ok) throw await apiError(res);
    return res.json();
  }

  function rememberRegion(region) {
    if (region && region.code && region.name) regionNames.set(region.code, region.name);
  }

  function regionInfo(code) {
    if (!regionRequests.has(code)) {
      const request = publicJson(API.region(code))
        .then((region) => {
          rememberRegion(region);
          return region;
        })
        .catch(() => {
          regionRequests.delete(code); // try again next time
          return null;
        });
      regionRequests.set(code, request);
    }
    return regionRequests.get(code);
  }

  function childrenOf(code) {
    if (!childrenRequests.has(code)) {
      const request = publicJson(API.children(code))
        .then((list) => {
          if (Array.isArray(list)) list.forEach(rememberRegion);
          return list;
        })
        .catch(() => {
          childrenRequests.delete(code);
          return [];
        });
      childrenRequests.set(code, request);
    }
    return childrenRequests.get(code);
  }

  const nameOf = (code, fallback) => fallback || regionNames.get(code) || code;

  // ---------------------------------------------------------------------------------------
  // Session and HTTP

  class ApiError extends Error {
    constructor(status, message, code, field) {
      super(message);
      this.status = status;
      this.code = code;
      this.field = field;
    }
  }

  async function timedFetch(url, options = {}) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      return await fetch(url, { ...options, signal: controller.signal, credentials: 'same-origin', cache: 'no-store' });
    } catch (err) {
      const timedOut = err && err.name === 'AbortError';
      throw new ApiError(0, timedOut ? '请求超时 (timed out)' : '无法连接服务器 (network error)', 'network');
    } finally {
      clearTimeout(timer);
    }
  }

  async function apiError(res) {
    let body = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    const message =
      (body && (body.message || body.error_description || body.error)) || res.statusText || `HTTP ${res.status}`;
    return new ApiError(res.status, message, body && (body.code || body.error), body && body.field);
  }

  function loadSession() {
    try {
      const raw = sessionStorage.getItem(SESSION_KEY);
      const session = raw ? JSON.parse(raw) : null;
      return session && typeof session.access_token === 'string' ? session : null;
    } catch {
      return null;
    }
  }

  function saveSession(session) {
    try {
      if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
      else sessionStorage.removeItem(SESSION_KEY);
    } catch {
      // Storage may be disabled: the session then lasts as long as the page.
    }
  }

  /** The JWT's payload (base64url, UTF-8 JSON); throws on anything else. */
  function decodeJwt(token) {
    const part = String(token).split('.')[1];
    if (!part) throw new Error('not a JWT');
    let b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) b64 += '=';
    const binary = atob(b64);
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder('utf-8').decode(bytes));
    if (!payload || typeof payload !== 'object') throw new Error('bad JWT payload');
    return payload;
  }

  /**
   * The regions the account supervises, widest first, each not inside another: the first is
   * the starting region (the supervisor binding with the shortest significant prefix).
   */
  function supervisorRoots(claims) {
    const regions = (Array.isArray(claims.roles) ? claims.roles : [])
      .filter((b) => b && b.role === 'supervisor' && regionLevel(b.region) !== null)
      .map((b) => b.region);
    const unique = [...new Set(regions)].sort(
      (a, b) => regionPrefix(a).length - regionPrefix(b).length || a.localeCompare(b),
    );
    const roots = [];
    for (const code of unique) {
      if (!roots.some((root) => isWithin(code, root))) roots.push(code);
    }
    return roots;
  }

  function adoptTokens(body, username) {
    const session = {
      access_token: body.access_token,
      refresh_token: body.refresh_token || (state.session && state.session.refresh_token) || null,
      expires_at: isNum(body.expires_in) ? Date.now() + body.expires_in * 1000 : null,
      username: username || (state.session && state.session.username) || '',
    };
    state.session = session;
    state.claims = decodeJwt(session.access_token);
    saveSession(session);
  }

  let refreshing = null;

  /** Trades the refresh token for new tokens, once at a time (refresh tokens are single-use). */
  function refreshTokens() {
    if (!refreshing) {
      refreshing = (async () => {
        const session = state.session;
        if (!session || !session.refresh_token) return false;
        try {
          const res = await timedFetch(API.token, {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
            body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: session.refresh_token }),
          });
          if (!res.ok) return false;
          adoptTokens(await res.json());
          return true;
        } catch {
          return false;
        }
      })().finally(() => {
        refreshing = null;
      });
    }
    return refreshing;
  }

  async function authedFetch(url, retried = false) {
    const session = state.session;
    if (!session) throw new ApiError(401, '未登录 (signed out)', 'unauthorized');
    if (session.expires_at && session.expires_at - Date.now() < 20000 && session.refresh_token && !retried) {
      await refreshTokens();
    }
    const res = await timedFetch(url, {
      headers: { Authorization: `Bearer ${state.session.access_token}`, Accept: 'application/json' },
    });
    if (res.status === 401 && !retried && (await refreshTokens())) return authedFetch(url, true);
    return res;
  }

  async function apiGet(path, params) {
    const url = `${path}?${new URLSearchParams(params)}`;
    const res = await authedFetch(url);
    if (!res.ok) throw await apiError(res);
    return res.json();
  }

  function describeError(err) {
    if (!(err instanceof ApiError)) return `页面错误 (script error)：${err && err.message ? err.message : err}`;
    const field = err.field ? `，字段 ${err.field}` : '';
    switch (true) {
      case err.status === 0:
        return err.message;
      case err.status === 403:
        return `无权查看该地区 (403 outside your scope)：${err.message}`;
      case err.status === 404:
        return `未找到 (404 not found)：${err.message}`;
      case err.status === 429:
        return `请求过于频繁，请稍后再试 (429 too many requests)：${err.message}`;
      case err.status === 400 || err.status === 422:
        return `请求参数有误 (${err.status}${field})：${err.message}`;
      case err.status >= 500:
        return `服务暂不可用 (${err.status})：${err.message}`;
      default:
        return `请求失败 (${err.status})：${err.message}`;
    }
  }

  // ---------------------------------------------------------------------------------------
  // State

  const refreshSeconds = (() => {
    const raw = new URLSearchParams(location.search).get('refresh');
    const n = raw === null || raw.trim() === '' ? NaN : Number(raw);
    return Number.isFinite(n) ? Math.max(1, n) : 30;
  })();

  const state = {
    session: null,
    claims: null,
    roots: [], // supervised regions (widest first)
    root: null, // the scope in use: nothing above it is shown
    path: [], // root … current region
    preset: 'today', // 'today' | 'month' | 'year' | null (custom dates)
    from: null,
    to: null,
    basis: 'handling',
    tab: 'item',
    seq: 0, // the newest main load; older answers are dropped
    timer: null,
    refreshes: 0,
    last: null, // the last main answer rendered
    tabData: {}, // tab -> {key, data}
    tabErrors: {}, // tab -> {key, message}
    mainError: null,
    sort: {
      region: { key: 'code', dir: 1 },
      item: { key: 'cases', dir: -1 },
      department: { key: 'cases', dir: -1 },
      channel: { key: 'cases', dir: -1 },
      status: { key: 'order', dir: 1 },
      crossregion: { key: 'transfers', dir: -1 },
      halls: { key: 'issued', dir: -1 },
      hallBookings: { key: 'booking_booked', dir: -1 },
      hallWindows: { key: 'issued', dir: -1 },
    },
  };

  const current = () => state.path[state.path.length - 1];

  function query() {
    return { region: current(), from: state.from, to: state.to, basis: state.basis };
  }

  const queryKey = (q) => `${q.region}|${q.from}|${q.to}|${q.basis}`;

  function periodValid() {
    return isDate(state.from) && isDate(state.to) && state.from <= state.to;
  }

  /** A region path from the scope root down to `code` (falls back to [root, code]). */
  function pathTo(root, code) {
    const chain = [code];
    let at = code;
    while (at !== root) {
      at = prefixParent(at);
      if (!at || !isWithin(at, root)) return [root, code];
      chain.unshift(at);
    }
    return chain;
  }

  function readHash() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ''));
    const view = {};
    const region = params.get('region');
    if (region && regionLevel(region)) {
      const root = state.roots.find((r) => isWithin(region, r));
      if (root) {
        const target = drillable(region) ? region : prefixParent(region);
        view.root = root;
        view.path = target && isWithin(target, root) ? pathTo(root, target) : [root];
      }
    }
    const period = params.get('period');
    if (['today', 'month', 'year'].includes(period)) {
      view.preset = period;
    } else if (isDate(params.get('from')) && isDate(params.get('to'))) {
      view.preset = null;
      view.from = params.get('from');
      view.to = params.get('to');
    }
    if (['handling', 'receiving'].includes(params.get('basis'))) view.basis = params.get('basis');
    if (TABS.includes(params.get('tab'))) view.tab = params.get('tab');
    return view;
  }

  function applyView(view) {
    state.root = view.root || state.roots[0];
    state.path = view.path || [state.root];
    state.preset = view.preset === undefined ? 'today' : view.preset;
    if (state.preset) [state.from, state.to] = presetRange(state.preset);
    else [state.from, state.to] = [view.from, view.to];
    state.basis = view.basis || 'handling';
    state.tab = view.tab || 'item';
  }

  function writeHash(push) {
    const params = new URLSearchParams();
    params.set('region', current());
    if (state.preset) params.set('period', state.preset);
    else {
      params.set('from', state.from || '');
      params.set('to', state.to || '');
    }
    params.set('basis', state.basis);
    params.set('tab', state.tab);
    const url = `${location.pathname}${location.search}#${params}`;
    if (`${location.pathname}${location.search}${location.hash}` === url) return;
    if (push) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
  }

  // ---------------------------------------------------------------------------------------
  // Views: sign-in, no role, dashboard

  function showView(name) {
    $('signin-view').hidden = name !== 'signin';
    $('norole-view').hidden = name !== 'norole';
    $('dashboard').hidden = name !== 'dashboard';
    $('account').hidden = name === 'signin';
    if (name !== 'dashboard') $('loading').hidden = true;
  }

  function showSignIn(note) {
    stopLoading();
    showView('signin');
    $('signin-note').textContent = note || '';
    $('signin-error').hidden = true;
    $('password').value = '';
    $('signin').disabled = false;
    ($('username').value ? $('password') : $('username')).focus();
  }

  async function onSignIn(event) {
    event.preventDefault();
    const username = $('username').value.trim();
    const password = $('password').value;
    const error = $('signin-error');
    error.hidden = true;
    if (!username || !password) {
      error.textContent = '请输入用户名和密码 (username and password are required)';
      error.hidden = false;
      return;
    }
    const button = $('signin');
    button.disabled = true;
    try {
      const res = await timedFetch(API.token, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'password', username, password }),
      });
      if (!res.ok) throw await apiError(res);
      const body = await res.json();
      if (!body || typeof body.access_token !== 'string') throw new ApiError(500, '登录响应无效 (bad token response)');
      adoptTokens(body, username);
      $('password').value = '';
      startSession();
    } catch (err) {
      state.session = null;
      saveSession(null);
      error.textContent =
        err instanceof ApiError && err.status >= 400 && err.status < 500
          ? `登录失败：${err.message}`
          : describeError(err);
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  function signOut(note) {
    const session = state.session;
    if (session && session.refresh_token && !note) {
      // Best effort: revoke the refresh token family (RFC 7009 answers 200 whatever happens).
      fetch(API.revoke, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: session.refresh_token, token_type_hint: 'refresh_token' }),
        keepalive: true,
      }).catch(() => {});
    }
    state.session = null;
    state.claims = null;
    saveSession(null);
    resetDashboard();
    if (!note) history.replaceState(null, '', `${location.pathname}${location.search}`);
    showSignIn(note);
  }

  function startSession() {
    try {
      state.claims = decodeJwt(state.session.access_token);
    } catch {
      signOut('登录信息无效，请重新登录 (invalid token)');
      return;
    }
    state.roots = supervisorRoots(state.claims);
    $('account-name').textContent = state.session.username || '';
    if (!state.roots.length) {
      showView('norole');
      return;
    }
    applyView(readHash());
    renderScopeSelect();
    showView('dashboard');
    renderControls();
    renderPlaceholders();
    writeHash(false);
    load('start');
  }

  function resetDashboard() {
    stopLoading();
    state.seq += 1; // answers still on their way are dropped
    state.refreshes = 0;
    state.last = null;
    state.tabData = {};
    state.tabErrors = {};
    state.mainError = null;
    const dash = $('dashboard');
    delete dash.dataset.region;
    delete dash.dataset.level;
    dash.dataset.refreshes = '0';
    $('updated-at').textContent = '—';
    $('as-of').textContent = '—';
    $('error-banner').hidden = true;
    renderKpis(null);
    renderPlaceholders();
  }

  function stopLoading() {
    clearTimeout(state.timer);
    state.timer = null;
    setBusy(false);
  }

  // ---------------------------------------------------------------------------------------
  // Loading

  function setBusy(busy) {
    $('loading').hidden = !busy;
    $('dashboard').classList.toggle('busy', busy);
  }

  function schedule() {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => load('refresh'), refreshSeconds * 1000);
  }

  async function fetchTab(tab, q) {
    if (tab === 'ratings') return null; // from the main answer's total
    if (tab === 'crossregion') {
      const data = await apiGet(API.crossRegion, { region: q.region, from: q.from, to: q.to });
      const codes = new Set();
      for (const row of data.rows || []) {
        if (row.receiving) codes.add(row.receiving);
        if (row.handling) codes.add(row.handling);
      }
      await Promise.all([...codes].filter((c) => !regionNames.has(c)).map((c) => regionInfo(c)));
      return data;
    }
    if (tab === 'halls') return fetchHalls(q);
    return apiGet(API.statistics, { ...q, by: tab });
  }

  /** Loads the current tab's data for `q`, keeping it only while it is still wanted. */
  async function loadTab(tab, q) {
    const key = queryKey(q);
    try {
      const data = await fetchTab(tab, q);
      state.tabData[tab] = { key, data };
      delete state.tabErrors[tab];
      return null;
    } catch (err) {
      state.tabErrors[tab] = { key, message: describeError(err), status: err.status };
      return err;
    }
  }

  /**
   * Loads the region statistics and the open tab, then renders. `reason`: 'start', 'navigate'
   * (region, period, basis changed), 'refresh' (timer), 'manual'.
   */
  async function load(reason) {
    if (!state.session || !state.root) return;
    clearTimeout(state.timer);
    const seq = ++state.seq;
    if (state.preset && reason === 'refresh') {
      // A preset period follows the calendar (a dashboard left open past midnight).
      const [from, to] = presetRange(state.preset);
      if (from !== state.from || to !== state.to) {
        [state.from, state.to] = [from, to];
        renderControls();
      }
    }
    if (!periodValid()) {
      renderControls();
      return;
    }
    const q = query();
    const tab = state.tab;
    setBusy(reason !== 'refresh');
    renderBreadcrumb();
    if (reason !== 'refresh') renderTab();

    const main = apiGet(API.statistics, { ...q, by: 'region' }).then(
      (data) => ({ data }),
      (error) => ({ error }),
    );
    const tabDone = loadTab(tab, q);
    const names = Promise.all([childrenOf(q.region), ...state.path.map((code) => regionInfo(code))]);
    const [result, tabError] = await Promise.all([main, tabDone, names.catch(() => null)]).then(([m, t]) => [m, t]);

    if (seq !== state.seq || !state.session) return; // superseded or signed out
    setBusy(false);

    const unauthorized = [result.error, tabError].find((e) => e && e.status === 401);
    if (unauthorized) {
      signOut('登录已过期，请重新登录 (session expired)');
      return;
    }
    if (result.error) {
      state.mainError = describeError(result.error);
    } else {
      state.mainError = null;
      state.last = { ...result.data, key: queryKey(q) };
      state.refreshes += 1;
      $('updated-at').textContent = chinaParts(new Date()).time;
      $('updated-at').title = `${chinaParts(new Date()).date} ${chinaParts(new Date()).time}（北京时间）`;
      renderData();
    }
    renderBreadcrumb();
    renderTab();
    renderBanner();
    const dash = $('dashboard');
    if (!result.error) {
      // Set last, once the new data is on the page: tests wait on these.
      dash.dataset.level = regionLevel(q.region);
      dash.dataset.region = q.region;
      dash.dataset.refreshes = String(state.refreshes);
    }
    schedule();
  }

  /** Switching tabs loads only that tab (the timer then reloads everything as usual). */
  async function switchTab(tab) {
    if (tab === state.tab) return;
    state.tab = tab;
    writeHash(false);
    renderTabs();
    renderTab();
    if (!periodValid()) return;
    const q = query();
    const have = state.tabData[tab];
    if (tab === 'ratings' || (have && have.key === queryKey(q))) return;
    const seq = state.seq;
    const err = await loadTab(tab, q);
    if (!state.session) return;
    if (err && err.status === 401) {
      signOut('登录已过期，请重新登录 (session expired)');
      return;
    }
    if (state.tab === tab && seq === state.seq) {
      renderTab();
      renderBanner();
    } else if (state.tab === tab) {
      renderTab();
    }
  }

  function navigate(patch, push) {
    Object.assign(state, patch);
    writeHash(push);
    renderControls();
    load('navigate');
  }

  function drill(code) {
    if (!drillable(code) || !isWithin(code, current()) || code === current()) return;
    if (regionLevel(current()) === 'town') return;
    navigate({ path: [...state.path, code] }, true);
  }

  // ---------------------------------------------------------------------------------------
  // Rendering: controls

  function renderControls() {
    const from = $('date-from');
    const to = $('date-to');
    const today = chinaToday();
    from.value = state.from || '';
    to.value = state.to || '';
    from.max = today;
    to.max = today;
    for (const button of document.querySelectorAll('#presets [data-preset]')) {
      const on = button.dataset.preset === state.preset;
      button.classList.toggle('active', on);
      button.setAttribute('aria-pressed', String(on));
    }
    for (const button of document.querySelectorAll('#basis [data-basis]')) {
      const on = button.dataset.basis === state.basis;
      button.classList.toggle('active', on);
      button.setAttribute('aria-pressed', String(on));
    }
    const periodError = $('period-error');
    if (!periodValid()) {
      periodError.textContent = !isDate(state.from) || !isDate(state.to)
        ? '请选择开始和结束日期 (choose both dates)'
        : '开始日期不能晚于结束日期 (the start date is after the end date)';
      periodError.hidden = false;
    } else {
      periodError.hidden = true;
    }
    renderTabs();
    renderBreadcrumb();
  }

  function renderScopeSelect() {
    const wrap = $('scope-wrap');
    const select = $('scope');
    wrap.hidden = state.roots.length < 2;
    if (wrap.hidden) return;
    select.replaceChildren(
      ...state.roots.map((code) =>
        h('option', { value: code, text: nameOf(code), selected: code === state.root }),
      ),
    );
    Promise.all(state.roots.map(regionInfo)).then(() => {
      for (const option of select.options) option.textContent = nameOf(option.value);
    });
  }

  function renderBreadcrumb() {
    const nav = $('breadcrumb');
    const parts = [];
    state.path.forEach((code, i) => {
      const last = i === state.path.length - 1;
      if (i > 0) parts.push(h('span', { class: 'sep', 'aria-hidden': 'true', text: '›' }));
      parts.push(
        h('button', {
          type: 'button',
          class: last ? 'crumb current' : 'crumb',
          'data-code': code,
          'data-level': regionLevel(code),
          'aria-current': last ? 'page' : null,
          title: `${code}${last ? '' : ' · 返回上级 (back up)'}`,
          text: nameOf(code),
        }),
      );
    });
    const level = regionLevel(current());
    if (level) parts.push(h('span', { class: 'level-tag', text: LEVEL_LABELS[level] }));
    nav.replaceChildren(...parts);
    const hint = $('chart-hint');
    const noun = CHILD_NOUN[level];
    hint.textContent = level === 'town' ? '村级不再下钻 · villages are not drilled into' : noun ? `点击${noun}下钻 · click to drill down` : '';
  }

  function renderTabs() {
    for (const button of document.querySelectorAll('#tabs [data-tab]')) {
      const on = button.dataset.tab === state.tab;
      button.classList.toggle('active', on);
      button.setAttribute('aria-selected', String(on));
      button.tabIndex = on ? 0 : -1;
    }
    for (const panel of document.querySelectorAll('[data-panel]')) {
      panel.hidden = panel.dataset.panel !== state.tab;
    }
  }

  function renderBanner() {
    const messages = [];
    if (state.mainError) {
      let message = state.mainError;
      if (state.last && state.last.key !== queryKey(query())) {
        message += `\n当前显示的是上次成功加载的数据（${nameOf(state.last.region)}，${state.last.from} 至 ${state.last.to}）。`;
      } else if (state.last) {
        message += '\n当前显示的是上次成功加载的数据 (showing the last data loaded)。';
      }
      messages.push(message);
    }
    const tabError = state.tabErrors[state.tab];
    if (tabError && tabError.key === queryKey(query()) && tabError.message !== state.mainError) {
      messages.push(tabError.message);
    }
    const banner = $('error-banner');
    banner.textContent = messages.join('\n');
    banner.hidden = messages.length === 0;
  }

  function placeholder(text, cls = 'empty') {
    return h('div', { class: cls, text });
  }

  function renderPlaceholders() {
    $('region-chart').replaceChildren(placeholder('加载中… (loading)', 'empty loading-text'));
    $('region-table-wrap').replaceChildren();
    for (const tab of TABS) {
      const wrap = $(`${tab}-wrap`);
      if (wrap) wrap.replaceChildren();
    }
    $('status-stack').replaceChildren();
    $('ratings-chart').replaceChildren();
    $('ratings-summary').replaceChildren();
    $('crossregion-note').textContent = '';
    clearHalls();
    $('refresh-every').textContent = `每 ${refreshSeconds} 秒 (every ${refreshSeconds} s)`;
  }

  // ---------------------------------------------------------------------------------------
  // Rendering: data

  function renderData() {
    const data = state.last;
    if (!data) return;
    renderKpis(data.total);
    const asOf = $('as-of');
    if (data.as_of) {
      const when = new Date(data.as_of);
      if (Number.isNaN(when.getTime())) asOf.textContent = data.as_of;
      else {
        const p = chinaParts(when);
        asOf.textContent = `${p.date} ${p.time}`;
      }
      asOf.title = `as_of ${data.as_of}（北京时间显示）`;
    } else {
      asOf.textContent = '—（尚无数据 no events yet）';
      asOf.title = 'as_of: null';
    }
    renderRegionChart();
    renderRegionTable();
  }

  function setKpi(testid, { value, unit, sub, alert, raw, title }) {
    const tile = document.querySelector(`[data-testid="${testid}"]`);
    const valueNode = tile.querySelector('.kpi-value');
    valueNode.replaceChildren(value, unit ? h('span', { class: 'unit', text: unit }) : '');
    tile.querySelector('.kpi-sub').textContent = sub || '';
    tile.classList.toggle('alert', Boolean(alert));
    if (raw === null || raw === undefined) tile.removeAttribute('data-value');
    else tile.dataset.value = String(raw);
    if (title) tile.title = title;
  }

  function renderKpis(t) {
    if (!t) {
      for (const tile of document.querySelectorAll('.kpi')) {
        tile.querySelector('.kpi-value').textContent = '—';
        tile.querySelector('.kpi-sub').textContent = '';
        tile.classList.remove('alert');
        tile.removeAttribute('data-value');
      }
      return;
    }
    const ratings = t.ratings || {};
    setKpi('kpi-cases', {
      value: fmtInt(t.cases),
      unit: '件',
      raw: t.cases,
      sub: `受理 ${fmtInt(t.accepted)} · 办结 ${fmtInt(t.concluded)}`,
      title: '期间内提交的办件 (cases submitted in the period)',
    });
    setKpi('kpi-on-time-rate', {
      value: fmtPct(t.on_time_rate),
      raw: t.on_time_rate,
      sub: `按期 ${fmtInt(t.on_time)} · 超期 ${fmtInt(t.late)}`,
      title: '期间内办结的办件中按期办结的比例 (on time among cases concluded in the period)',
    });
    setKpi('kpi-handling-days', {
      value: `${fmtDec(t.avg_working_days)} / ${fmtDec(t.p90_working_days)}`,
      unit: '天',
      raw: t.avg_working_days,
      sub: '工作日 working days',
      title: '办理时长（工作日）：平均值 / 第 90 百分位',
    });
    setKpi('kpi-visits', {
      value: fmtDec(t.visits_per_case, 2),
      unit: '次',
      raw: t.visits_per_case,
      sub: `跑动合计 ${fmtInt(t.visits)} 次`,
      title: '次均跑动次数 (visits per case)',
    });
    setKpi('kpi-cross-region', {
      value: fmtInt(t.cross_region),
      unit: '件',
      raw: t.cross_region,
      sub: isNum(t.cases) && t.cases > 0 ? `占办件量 ${fmtPct(t.cross_region / t.cases)}` : '跨域通办 cross-region',
      title: '期间内办件中的跨域办件 (cross-region cases)',
    });
    setKpi('kpi-good-rate', {
      value: fmtPct(ratings.good_rate),
      raw: ratings.good_rate,
      sub: `评价 ${fmtInt(ratings.total)} 条`,
      title: '好评率：基本满意、满意、非常满意的评价占比 (good ratings)',
    });
    setKpi('kpi-open-overdue', {
      value: fmtInt(t.open_overdue),
      unit: '件',
      raw: t.open_overdue,
      alert: isNum(t.open_overdue) && t.open_overdue > 0,
      sub: '当前已超期未办结 · now',
      title: '当前已超过办理期限仍未办结的办件 (open cases past their due date now)',
    });
  }

  function regionRows() {
    const data = state.last;
    // A row keyed with the region itself counts the cases of that level (本级): a county's
    // own departments decide cases; its towns mostly take them in.
    return (data && Array.isArray(data.rows) ? data.rows : []).map((row) => ({
      ...row,
      name: row.key === data.region ? `本级 · ${nameOf(row.key, row.name)}` : nameOf(row.key, row.name),
    }));
  }

  /** Whether the rendered data's rows may be drilled into. */
  function rowsDrillable() {
    const data = state.last;
    return Boolean(data) && regionLevel(data.region) !== 'town' && data.region === current();
  }

  function niceStep(max, count) {
    const raw = max / count;
    const power = 10 ** Math.floor(Math.log10(raw));
    const unit = raw / power;
    const nice = unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10;
    return Math.max(1, nice * power);
  }

  function truncate(text, max) {
    const chars = [...text];
    return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
  }

  function renderRegionChart() {
    const host = $('region-chart');
    const data = state.last;
    const rows = regionRows().sort((a, b) => (b.cases || 0) - (a.cases || 0) || a.key.localeCompare(b.key));
    const level = data ? regionLevel(data.region) : null;
    $('chart-title').replaceChildren(
      `下级${CHILD_NOUN[level] || '地区'}办件量 `,
      h('small', { text: 'Cases by region' }),
    );
    if (!rows.length || rows.every((r) => !r.cases)) {
      host.replaceChildren(placeholder('该期间没有办件 (no cases in this period)'));
      return;
    }
    const canDrill = rowsDrillable();
    const width = Math.max(480, Math.round(host.clientWidth || 900));
    const longest = Math.max(...rows.map((r) => [...r.name].length));
    const labelW = Math.min(220, Math.max(90, longest * 14 + 20));
    const rightW = 120;
    const rowH = 28;
    const barH = 16;
    const top = 24;
    const plotW = width - labelW - rightW;
    const max = Math.max(...rows.map((r) => r.cases || 0));
    const step = niceStep(max, 4);
    const axisMax = Math.ceil(max / step) * step;
    const x = (v) => labelW + (plotW * v) / axisMax;
    const height = top + rows.length * rowH + 8;

    const grid = [];
    for (let v = 0; v <= axisMax; v += step) {
      grid.push(s('line', { class: 'grid', x1: x(v), x2: x(v), y1: top - 4, y2: height - 6 }));
      grid.push(s('text', { class: 'tick', x: x(v), y: top - 9, 'text-anchor': 'middle', text: fmtInt(v) }));
    }
    const bars = rows.map((row, i) => {
      const y = top + i * rowH;
      const cases = row.cases || 0;
      const barW = cases > 0 ? Math.max(2, x(cases) - labelW) : 0;
      const drillHere = canDrill && drillable(row.key);
      const valueText = fmtInt(cases);
      const tip = [
        `${row.name} (${row.key})`,
        `办件量 ${fmtInt(row.cases)} · 办结 ${fmtInt(row.concluded)}`,
        `按期办结率 ${fmtPct(row.on_time_rate)} · 逾期未办结 ${fmtInt(row.open_overdue)}`,
        drillHere ? '点击下钻 (click to drill down)' : '',
      ].filter(Boolean).join('\n');
      return s(
        'g',
        {
          class: drillHere ? 'row drill' : 'row',
          'data-code': row.key,
          role: drillHere ? 'button' : null,
          tabindex: drillHere ? '0' : null,
          'aria-label': drillHere ? `${row.name}：下钻` : null,
        },
        s('title', { text: tip }),
        s('rect', { class: 'hit', x: 0, y, width, height: rowH }),
        s('text', { class: 'label', x: labelW - 10, y: y + rowH / 2 + 4.5, 'text-anchor': 'end', text: truncate(row.name, 14) }),
        s('rect', { class: 'bar', x: labelW, y: y + (rowH - barH) / 2, width: barW, height: barH, rx: 2 }),
        s('text', { class: 'value', x: labelW + barW + 6, y: y + rowH / 2 + 4, text: valueText }),
        row.open_overdue > 0
          ? s('text', {
              class: 'overdue',
              x: labelW + barW + 14 + valueText.length * 7,
              y: y + rowH / 2 + 4,
              text: `逾期 ${fmtInt(row.open_overdue)}`,
            })
          : null,
      );
    });
    const svg = s(
      'svg',
      {
        viewBox: `0 0 ${width} ${height}`,
        width,
        height,
        role: 'img',
        'aria-label': '下级地区办件量 (cases by region)',
      },
      ...grid,
      s('line', { class: 'axis', x1: labelW, x2: labelW, y1: top - 4, y2: height - 6 }),
      ...bars,
    );
    host.replaceChildren(svg);
  }

  // Table columns for a Metrics row. `get` gives the sort value, `show` the cell.
  function metricColumns() {
    return [
      { key: 'cases', label: '办件量', en: 'cases', get: (r) => r.cases, show: (r) => fmtInt(r.cases) },
      { key: 'accepted', label: '受理', en: 'accepted', get: (r) => r.accepted, show: (r) => fmtInt(r.accepted) },
      { key: 'concluded', label: '办结', en: 'concluded', get: (r) => r.concluded, show: (r) => fmtInt(r.concluded) },
      {
        key: 'on_time_rate', label: '按期办结率', en: 'on-time', get: (r) => r.on_time_rate,
        show: (r) => fmtPct(r.on_time_rate),
        title: (r) => `按期 ${fmtInt(r.on_time)} · 超期 ${fmtInt(r.late)}`,
      },
      { key: 'avg_working_days', label: '平均办理时长', en: 'avg days', get: (r) => r.avg_working_days, show: (r) => fmtDec(r.avg_working_days) },
      { key: 'p90_working_days', label: 'P90', en: 'days', get: (r) => r.p90_working_days, show: (r) => fmtDec(r.p90_working_days) },
      { key: 'visits_per_case', label: '次均跑动', en: 'visits/case', get: (r) => r.visits_per_case, show: (r) => fmtDec(r.visits_per_case, 2) },
      { key: 'cross_region', label: '跨域办件', en: 'cross-region', get: (r) => r.cross_region, show: (r) => fmtInt(r.cross_region) },
      {
        key: 'good_rate', label: '好评率', en: 'good rate', get: (r) => r.ratings && r.ratings.good_rate,
        show: (r) => fmtPct(r.ratings && r.ratings.good_rate),
        title: (r) => `评价 ${fmtInt(r.ratings && r.ratings.total)} 条`,
      },
      {
        key: 'open_overdue', label: '逾期未办结', en: 'overdue', get: (r) => r.open_overdue, show: (r) => fmtInt(r.open_overdue),
        cls: (r) => (isNum(r.open_overdue) && r.open_overdue > 0 ? 'bad' : ''),
      },
    ];
  }

  function compareValues(a, b) {
    const aNull = a === null || a === undefined;
    const bNull = b === null || b === undefined;
    if (aNull || bNull) return aNull && bNull ? 0 : aNull ? 1 : -1;
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    return String(a).localeCompare(String(b), 'zh-CN');
  }

  /**
   * A sortable table: `columns` [{key,label,en,get,show,cls,title,text}], `rows`, `rowAttrs`
   * (row -> attributes), `foot` (a row shown in tfoot, or null), `caption` (what the table
   * is, read first by a screen reader; nodes or text), `rowHeaders` (the first column's cells
   * are row headers, `th scope="row"`).
   */
  function buildTable({ name, columns, rows, rowAttrs, foot, caption, rowHeaders }) {
    const sort = state.sort[name];
    const column = columns.find((c) => c.key === sort.key) || columns[0];
    const sorted = [...rows].sort((a, b) => {
      const va = column.get(a);
      const vb = column.get(b);
      const nulls = (va === null || va === undefined) - (vb === null || vb === undefined);
      return nulls || sort.dir * compareValues(va, vb);
    });
    const head = h(
      'tr',
      null,
      columns.map((c) =>
        h(
          'th',
          {
            class: 'sortable',
            scope: 'col',
            'data-sort': c.key,
            'aria-sort': c.key === sort.key ? (sort.dir > 0 ? 'ascending' : 'descending') : null,
            title: `${c.en || ''} · 点击排序 (sort)`,
          },
          c.label,
          c.key === sort.key ? h('span', { class: 'arrow', text: sort.dir > 0 ? '▲' : '▼' }) : null,
          c.en ? h('small', { text: c.en }) : null,
        ),
      ),
    );
    const cell = (c, r, i) =>
      h(
        rowHeaders && i === 0 ? 'th' : 'td',
        {
          scope: rowHeaders && i === 0 ? 'row' : null,
          class: [c.text ? 'text' : '', c.cls ? c.cls(r) : ''].filter(Boolean).join(' ') || null,
          title: c.title ? c.title(r) : null,
        },
        c.show(r),
      );
    const body = sorted.map((r) => h('tr', rowAttrs ? rowAttrs(r) : null, columns.map((c, i) => cell(c, r, i))));
    const table = h(
      'table',
      { 'data-table': name },
      caption ? h('caption', null, caption) : null,
      h('thead', null, head),
      h('tbody', null, body),
      foot ? h('tfoot', null, h('tr', null, columns.map((c, i) => cell(c, foot, i)))) : null,
    );
    return table;
  }

  function nameColumn(label, en, extra = {}) {
    return {
      key: 'name',
      label,
      en,
      text: true,
      get: (r) => r.name,
      show: (r) => [r.name, r.sub ? h('span', { class: 'code', text: r.sub }) : null],
      ...extra,
    };
  }

  function renderRegionTable() {
    const wrap = $('region-table-wrap');
    const data = state.last;
    const rows = regionRows();
    if (!rows.length) {
      wrap.replaceChildren(placeholder('该期间没有办件 (no cases in this period)'));
      return;
    }
    const canDrill = rowsDrillable();
    const columns = [
      nameColumn('地区', 'region', { key: 'code', get: (r) => r.key }),
      ...metricColumns(),
    ];
    const table = buildTable({
      name: 'region',
      columns,
      rows: rows.map((r) => ({ ...r, sub: r.name === r.key ? null : r.key })),
      rowAttrs: (r) => {
        const drillHere = canDrill && drillable(r.key);
        return {
          'data-code': r.key,
          class: drillHere ? 'drill' : null,
          tabindex: drillHere ? '0' : null,
          title: drillHere ? `下钻到 ${r.name} (drill down)` : null,
        };
      },
      foot: { ...data.total, name: '合计 total', sub: null, key: data.region },
    });
    wrap.replaceChildren(table);
  }

  // ---------------------------------------------------------------------------------------
  // Rendering: tabs

  function tabState(tab) {
    const key = queryKey(query());
    const have = state.tabData[tab];
    const error = state.tabErrors[tab];
    if (have && have.key === key) return { data: have.data };
    if (error && error.key === key) return { error: error.message };
    return { loading: true };
  }

  function renderTab() {
    const tab = state.tab;
    if (tab === 'ratings') {
      renderRatings();
      return;
    }
    const wrap = $(`${tab}-wrap`);
    const { data, error, loading } = tabState(tab);
    if (tab === 'status') renderStatusStack();
    if (loading) {
      wrap.replaceChildren(placeholder('加载中… (loading)'));
      if (tab === 'halls') clearHalls();
      return;
    }
    if (error) {
      wrap.replaceChildren(placeholder(`未能加载 (failed to load)：${error}`));
      if (tab === 'halls') clearHalls();
      return;
    }
    if (tab === 'crossregion') {
      renderCrossRegion(wrap, data);
      return;
    }
    if (tab === 'halls') {
      renderHalls(data);
      return;
    }
    let rows = Array.isArray(data.rows) ? data.rows : [];
    if (!rows.length || (tab !== 'status' && rows.every((r) => !r.cases))) {
      wrap.replaceChildren(placeholder('该期间没有办件 (no cases in this period)'));
      return;
    }
    let columns;
    if (tab === 'item') {
      rows = [...rows].sort((a, b) => (b.cases || 0) - (a.cases || 0)).slice(0, TOP_ITEMS);
      rows = rows.map((r) => ({ ...r, name: r.name || r.key, sub: r.key }));
      columns = [nameColumn('事项', 'item'), ...metricColumns()];
    } else if (tab === 'department') {
      rows = rows.map((r) => ({ ...r, name: r.name || r.key, sub: null }));
      columns = [nameColumn('部门', 'department', { title: (r) => r.key }), ...metricColumns()];
    } else if (tab === 'channel') {
      rows = rows.map((r) => {
        const [zh, en] = CHANNELS[r.key] || [r.name || r.key, r.key];
        return { ...r, name: zh, sub: en };
      });
      columns = [nameColumn('渠道', 'channel'), ...metricColumns()];
    } else {
      const order = new Map(STATUS.map(([key], i) => [key, i]));
      rows = rows.map((r) => {
        const known = STATUS.find(([key]) => key === r.key);
        return { ...r, name: known ? known[1] : r.name || r.key, sub: known ? known[2] : r.key, order: order.has(r.key) ? order.get(r.key) : 99 };
      });
      columns = [
        nameColumn('状态', 'status', { key: 'order', get: (r) => r.order }),
        ...metricColumns().filter((c) => !['visits_per_case', 'good_rate'].includes(c.key)),
      ];
    }
    const table = buildTable({
      name: tab,
      columns,
      rows,
      rowAttrs: (r) => ({ 'data-key': r.key }),
    });
    wrap.replaceChildren(table);
  }

  function renderStatusStack() {
    const host = $('status-stack');
    const statuses = state.last && state.last.total && state.last.total.statuses;
    if (!statuses) {
      host.replaceChildren();
      return;
    }
    const known = STATUS.map(([key, zh, en, color]) => ({ key, zh, en, color, n: statuses[key] || 0 }));
    for (const [key, n] of Object.entries(statuses)) {
      if (!STATUS.some(([k]) => k === key)) known.push({ key, zh: key, en: key, color: '#78909c', n });
    }
    const total = known.reduce((sum, x) => sum + (isNum(x.n) ? x.n : 0), 0);
    if (!total) {
      host.replaceChildren(placeholder('该期间没有办件 (no cases in this period)'));
      return;
    }
    const bar = h('div', { class: 'stack-bar', role: 'img', 'aria-label': '办件状态构成 (status breakdown)' });
    const legend = h('div', { class: 'legend' });
    for (const x of known) {
      if (x.n > 0) {
        const seg = h('span', { title: `${x.zh} ${x.en}: ${fmtInt(x.n)} (${fmtPct(x.n / total)})`, 'data-status': x.key });
        seg.style.width = `${(100 * x.n) / total}%`;
        seg.style.background = x.color;
        bar.append(seg);
      }
      const swatch = h('i');
      swatch.style.background = x.color;
      legend.append(h('span', null, swatch, `${x.zh} ${fmtInt(x.n)}`));
    }
    host.replaceChildren(h('p', { class: 'muted panel-note', text: '期间内办件的当前状态 · current status of the period’s cases' }), bar, legend);
  }

  function renderRatings() {
    const host = $('ratings-chart');
    const summary = $('ratings-summary');
    const ratings = state.last && state.last.total && state.last.total.ratings;
    if (!ratings) {
      host.replaceChildren(placeholder(state.last ? '暂无评价 (no ratings)' : '加载中… (loading)'));
      summary.replaceChildren();
      return;
    }
    const levels = [0, 1, 2, 3, 4].map((i) => (Array.isArray(ratings.levels) && isNum(ratings.levels[i]) ? ratings.levels[i] : 0));
    const total = isNum(ratings.total) ? ratings.total : levels.reduce((a, b) => a + b, 0);
    const bad = levels[0] + levels[1];
    summary.replaceChildren(
      h('div', null, h('div', { class: 'muted', text: '好评率 good rate' }), h('div', { class: 'big', text: fmtPct(ratings.good_rate) })),
      h('div', { text: `评价总数 ${fmtInt(total)} 条` }),
      h('div', { class: bad > 0 ? 'bad-text' : null, text: `差评（不满意、非常不满意）${fmtInt(bad)} 条` }),
      h('div', { class: 'muted', text: '好评：基本满意、满意、非常满意' }),
    );
    if (!total) {
      host.replaceChildren(placeholder('该期间没有评价 (no ratings in this period)'));
      return;
    }
    const width = Math.max(420, Math.round(host.clientWidth || 640));
    const labelW = 150;
    const rightW = 110;
    const rowH = 34;
    const barH = 20;
    const height = 5 * rowH + 8;
    const max = Math.max(...levels, 1);
    const plotW = width - labelW - rightW;
    const rows = [4, 3, 2, 1, 0].map((i, n) => {
      const y = 4 + n * rowH;
      const w = levels[i] > 0 ? Math.max(2, (plotW * levels[i]) / max) : 0;
      const cls = ['rating-bar bad', 'rating-bar bad', 'rating-bar fair', 'rating-bar good', 'rating-bar good'][i];
      return s(
        'g',
        { 'data-level': i + 1 },
        s('title', { text: `${i + 1} 星 ${RATING_LEVELS[i]}：${fmtInt(levels[i])}` }),
        s('text', { class: 'label', x: labelW - 10, y: y + rowH / 2 + 4.5, 'text-anchor': 'end', text: `${'★'.repeat(i + 1)} ${RATING_LEVELS[i]}` }),
        s('rect', { class: cls, x: labelW, y: y + (rowH - barH) / 2, width: w, height: barH, rx: 2 }),
        s('text', { class: 'value', x: labelW + w + 6, y: y + rowH / 2 + 4, text: `${fmtInt(levels[i])}（${fmtPct(levels[i] / total)}）` }),
      );
    });
    host.replaceChildren(
      s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': '评价分布 (ratings distribution)' },
        s('line', { class: 'axis', x1: labelW, x2: labelW, y1: 0, y2: height - 4 }),
        ...rows),
    );
  }

  function renderCrossRegion(wrap, data) {
    const level = data.level;
    $('crossregion-note').textContent =
      `受理地 → 办理地，按${(LEVEL_LABELS[level] || level || '').split(' ')[0] || '地区'}汇总 · receiving → handling, cut at ${level || '?'} level`;
    const rows = (Array.isArray(data.rows) ? data.rows : []).map((r) => ({
      ...r,
      pair: `${nameOf(r.receiving)} → ${nameOf(r.handling)}`,
    }));
    if (!rows.length) {
      wrap.replaceChildren(placeholder('该期间没有跨域办件 (no cross-region transfers in this period)'));
      return;
    }
    const pairCell = (r) => [
      h('span', { title: r.receiving, text: nameOf(r.receiving) }),
      h('span', { class: 'arrow-sep', text: '→' }),
      h('span', { title: r.handling, text: nameOf(r.handling) }),
    ];
    const columns = [
      { key: 'pair', label: '受理地 → 办理地', en: 'receiving → handling', text: true, get: (r) => r.pair, show: pairCell, cls: () => 'pair' },
      { key: 'transfers', label: '转办', en: 'transfers', get: (r) => r.transfers, show: (r) => fmtInt(r.transfers) },
      { key: 'accepted', label: '接收', en: 'accepted', get: (r) => r.accepted, show: (r) => fmtInt(r.accepted) },
      {
        key: 'rejected', label: '退回', en: 'rejected', get: (r) => r.rejected, show: (r) => fmtInt(r.rejected),
        cls: (r) => (isNum(r.rejected) && r.rejected > 0 ? 'warn' : ''),
      },
      { key: 'completed', label: '办结', en: 'completed', get: (r) => r.completed, show: (r) => fmtInt(r.completed) },
      { key: 'avg_handover_hours', label: '平均交接时长', en: 'avg hours', get: (r) => r.avg_handover_hours, show: (r) => fmtDec(r.avg_handover_hours) },
      { key: 'p90_handover_hours', label: 'P90 交接时长', en: 'p90 hours', get: (r) => r.p90_handover_hours, show: (r) => fmtDec(r.p90_handover_hours) },
      { key: 'on_time_rate', label: '按期办结率', en: 'on-time', get: (r) => r.on_time_rate, show: (r) => fmtPct(r.on_time_rate) },
    ];
    wrap.replaceChildren(
      buildTable({
        name: 'crossregion',
        columns,
        rows,
        rowAttrs: (r) => ({ 'data-receiving': r.receiving, 'data-handling': r.handling }),
      }),
    );
  }

  // ---------------------------------------------------------------------------------------
  // The halls (大厅): tickets and bookings by service centre and by window

  const hallRequests = new Map(); // centre region -> Promise<the hall's set-up|null>

  /** A centre's public set-up (its name, groups and windows), cached for the page's life. */
  function hallInfo(code) {
    if (!hallRequests.has(code)) {
      const request = publicJson(API.hallCentre(code)).catch(() => {
        hallRequests.delete(code); // try again next time
        return null;
      });
      hallRequests.set(code, request);
    }
    return hallRequests.get(code);
  }

  /** The halls' statistics by centre and by window, with the names of both. */
  async function fetchHalls(q) {
    const params = { region: q.region, from: q.from, to: q.to };
    const [centres, windows] = await Promise.all([
      apiGet(API.halls, { ...params, by: 'centre' }),
      apiGet(API.halls, { ...params, by: 'window' }),
    ]);
    const codes = new Set((centres.rows || []).map((r) => r.key));
    for (const row of windows.rows || []) if (row.centre) codes.add(row.centre);
    const setups = new Map();
    await Promise.all(
      [...codes].map(async (code) => {
        const [, setup] = await Promise.all([regionNames.has(code) ? null : regionInfo(code), hallInfo(code)]);
        if (setup) setups.set(code, setup);
      }),
    );
    return { centres, windows, setups };
  }

  /** A duration in milliseconds, in minutes and seconds (分、秒). */
  function fmtDuration(ms) {
    if (!isNum(ms)) return '—';
    const seconds = Math.round(ms / 1000);
    if (seconds < 60) return `${seconds}秒`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes}分${String(seconds % 60).padStart(2, '0')}秒`;
    return `${Math.floor(minutes / 60)}时${String(minutes % 60).padStart(2, '0')}分`;
  }

  /** The centre's own name (the hall's set-up), else its region's. */
  function hallName(code, setups) {
    const setup = setups.get(code);
    return (setup && setup.name) || nameOf(code);
  }

  function ticketColumns(withCalled) {
    const count = (key, label, en) => ({
      key, label, en, get: (r) => r.tickets[key], show: (r) => fmtInt(r.tickets[key]),
    });
    const times = (part, label, en) => [
      {
        key: `${part}_avg`, label: `平均${label}`, en: `avg ${en}`,
        get: (r) => r.tickets[part].avg_ms, show: (r) => fmtDuration(r.tickets[part].avg_ms),
        title: (r) => `${fmtInt(r.tickets[part].count)} 张 tickets · ${fmtInt(r.tickets[part].avg_ms)} ms`,
      },
      {
        key: `${part}_p90`, label: `P90 ${label}`, en: `p90 ${en}`,
        get: (r) => r.tickets[part].p90_ms, show: (r) => fmtDuration(r.tickets[part].p90_ms),
        title: (r) => `${fmtInt(r.tickets[part].p90_ms)} ms`,
      },
    ];
    return [
      count('issued', '取号', 'tickets'),
      withCalled ? count('called', '叫号', 'called') : null,
      count('served', '办结', 'served'),
      count('absent', '过号', 'absent'),
      count('cancelled', '取消', 'cancelled'),
      ...times('wait', '等候', 'wait'),
      ...times('walk', '到窗', 'walk'),
      ...times('service', '办理', 'service'),
    ].filter(Boolean);
  }

  function bookingColumns() {
    const booking = (key, label, en, show = fmtInt) => ({
      key: `booking_${key}`, label, en,
      get: (r) => r.appointments && r.appointments[key],
      show: (r) => show(r.appointments && r.appointments[key]),
    });
    return [
      booking('booked', '预约', 'booked'),
      booking('checked_in', '签到', 'checked in'),
      booking('cancelled', '取消预约', 'cancelled'),
      booking('missed', '爽约', 'no-shows'),
      booking('no_show_rate', '爽约率', 'no-show rate', fmtPct),
      booking('cancellation_rate', '取消率', 'cancelled rate', fmtPct),
      booking('suspensions', '暂停预约', 'suspended'),
    ];
  }

  function clearHalls() {
    $('halls-summary').replaceChildren();
    $('halls-wrap').removeAttribute('tabindex'); // a placeholder now: nothing to scroll
    fillScroller('hall-bookings-wrap', null);
    fillScroller('hall-windows-wrap', null);
  }

  function renderHallSummary(total) {
    const t = total.tickets || {};
    const a = total.appointments || {};
    const figure = (label, value) =>
      h('span', { class: 'hall-figure' }, h('span', { class: 'muted', text: label }), h('strong', { text: value }));
    $('halls-summary').replaceChildren(
      figure('取号', fmtInt(t.issued)),
      figure('办结', fmtInt(t.served)),
      figure('过号', fmtInt(t.absent)),
      figure('平均等候', fmtDuration(t.wait && t.wait.avg_ms)),
      figure('P90 等候', fmtDuration(t.wait && t.wait.p90_ms)),
      figure('平均办理', fmtDuration(t.service && t.service.avg_ms)),
      figure('预约', fmtInt(a.booked)),
      figure('爽约率', fmtPct(a.no_show_rate)),
      figure('取消率', fmtPct(a.cancellation_rate)),
    );
  }

  /** The halls' tab: the centres' tickets, the centres' bookings, the windows. */
  function renderHalls(data) {
    const { centres, windows, setups } = data;
    const period = `${centres.from} 至 ${centres.to}`;
    renderHallSummary(centres.total || {});
    const centreRows = (centres.rows || []).map((r) => ({ ...r, name: hallName(r.key, setups), sub: `${nameOf(r.key)} · ${r.key}` }));
    const centreTable = (name, caption, en, columns) =>
      buildTable({
        name,
        caption: [caption, ' ', h('small', { text: `${en} · ${period}` })],
        columns: [nameColumn('服务中心', 'centre'), ...columns],
        rows: centreRows,
        rowAttrs: (r) => ({ 'data-key': r.key }),
        foot: { ...centres.total, name: '合计 total', sub: null },
        rowHeaders: true,
      });
    const none = '该期间大厅没有取号或预约 (no tickets or bookings in this period)';
    fillScroller(
      'halls-wrap',
      centreRows.length
        ? centreTable('halls', '各服务中心取号与叫号', 'Service centres: tickets', ticketColumns(false))
        : placeholder(none),
    );
    fillScroller(
      'hall-bookings-wrap',
      centreRows.length ? centreTable('hallBookings', '各服务中心预约', 'Service centres: bookings', bookingColumns()) : null,
    );
    const windowRows = (windows.rows || []).map((r) => hallWindowRow(r, setups));
    fillScroller(
      'hall-windows-wrap',
      windowRows.length
        ? buildTable({
            name: 'hallWindows',
            caption: ['各窗口叫号与办理 ', h('small', { text: `Windows · ${period}` })],
            columns: [nameColumn('窗口', 'window'), ...ticketColumns(true)],
            rows: windowRows,
            rowAttrs: (r) => ({ 'data-key': r.key }),
            rowHeaders: true,
          })
        : null,
    );
  }

  /** Puts `content` (a table, a placeholder, or nothing) in the scrolling wrap `id`. */
  function fillScroller(id, content) {
    const wrap = $(id);
    if (content) wrap.replaceChildren(content);
    else wrap.replaceChildren();
    // A table wider than the card scrolls sideways: focusable then, so a keyboard scrolls it.
    if (content && content.tagName === 'TABLE') wrap.setAttribute('tabindex', '0');
    else wrap.removeAttribute('tabindex');
  }

  /** A window's row, named by the hall's set-up (else as its calls showed it), with its group. */
  function hallWindowRow(r, setups) {
    if (r.key === 'none') return { ...r, name: '未到窗口', sub: '等候中或已取消 · waiting or cancelled' };
    const setup = setups.get(r.centre);
    const group = setup && Array.isArray(setup.groups) ? setup.groups.find((g) => g.id === r.group_id) : null;
    const known = setup && Array.isArray(setup.windows) ? setup.windows.find((w) => w.id === r.key) : null;
    const groupText = group ? `${group.letter} ${group.name}` : r.letter ? `${r.letter} 组` : '';
    const sub = [groupText, r.centre ? hallName(r.centre, setups) : ''].filter(Boolean).join(' · ');
    return { ...r, name: (known && known.name) || r.name || r.key, sub };
  }

  // ---------------------------------------------------------------------------------------
  // Events

  function onSortClick(event) {
    const th = event.target.closest('th[data-sort]');
    if (!th) return false;
    const name = th.closest('table').dataset.table;
    const sort = state.sort[name];
    const key = th.dataset.sort;
    if (sort.key === key) sort.dir = -sort.dir;
    else {
      sort.key = key;
      sort.dir = ['code', 'name', 'pair', 'order'].includes(key) ? 1 : -1;
    }
    if (name === 'region') renderRegionTable();
    else renderTab();
    return true;
  }

  function drillFrom(event) {
    const target = event.target.closest('[data-code]');
    if (!target || !target.classList.contains('drill')) return;
    drill(target.dataset.code);
  }

  function onKeyActivate(handler) {
    return (event) => {
      if (event.key !== 'Enter' && event.key !== ' ') return;
      if (!event.target.closest('.drill')) return;
      event.preventDefault();
      handler(event);
    };
  }

  function wire() {
    $('signin-form').addEventListener('submit', onSignIn);
    $('signout').addEventListener('click', () => signOut());

    $('breadcrumb').addEventListener('click', (event) => {
      const crumb = event.target.closest('.crumb');
      if (!crumb || crumb.classList.contains('current')) return;
      const i = state.path.indexOf(crumb.dataset.code);
      if (i >= 0) navigate({ path: state.path.slice(0, i + 1) }, true);
    });

    $('region-chart').addEventListener('click', drillFrom);
    $('region-chart').addEventListener('keydown', onKeyActivate(drillFrom));
    $('region-table-wrap').addEventListener('click', (event) => {
      if (!onSortClick(event)) drillFrom(event);
    });
    $('region-table-wrap').addEventListener('keydown', onKeyActivate(drillFrom));
    for (const tab of TABS) {
      const wrap = $(`${tab}-wrap`);
      if (wrap) wrap.addEventListener('click', onSortClick);
    }
    $('hall-bookings-wrap').addEventListener('click', onSortClick);
    $('hall-windows-wrap').addEventListener('click', onSortClick);

    $('presets').addEventListener('click', (event) => {
      const button = event.target.closest('[data-preset]');
      if (!button) return;
      const preset = button.dataset.preset;
      const [from, to] = presetRange(preset);
      navigate({ preset, from, to }, false);
    });
    const onDate = () => {
      navigate({ preset: null, from: $('date-from').value, to: $('date-to').value }, false);
    };
    $('date-from').addEventListener('change', onDate);
    $('date-to').addEventListener('change', onDate);

    $('basis').addEventListener('click', (event) => {
      const button = event.target.closest('[data-basis]');
      if (!button || button.dataset.basis === state.basis) return;
      navigate({ basis: button.dataset.basis }, false);
    });

    $('tabs').addEventListener('click', (event) => {
      const button = event.target.closest('[data-tab]');
      if (button) switchTab(button.dataset.tab);
    });
    $('tabs').addEventListener('keydown', (event) => {
      if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
      const i = TABS.indexOf(state.tab);
      const next = TABS[(i + (event.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length];
      switchTab(next).then(() => document.querySelector(`#tabs [data-tab="${next}"]`).focus());
    });

    $('reload').addEventListener('click', () => load('manual'));

    $('scope').addEventListener('change', (event) => {
      const root = event.target.value;
      if (!state.roots.includes(root)) return;
      navigate({ root, path: [root] }, true);
    });

    window.addEventListener('popstate', () => {
      if (!state.session || !state.roots.length) return;
      applyView(readHash());
      renderScopeSelect();
      renderControls();
      load('navigate');
    });

    let resizeTimer = null;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        if (!state.last) return;
        renderRegionChart();
        if (state.tab === 'ratings') renderRatings();
      }, 150);
    });
  }

  function main() {
    wire();
    renderPlaceholders();
    state.session = loadSession();
    if (state.session) startSession();
    else showSignIn();
  }

  main();
})();
