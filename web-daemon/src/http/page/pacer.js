// pacer web page: sign-in, dashboard, import, Strava connection, API keys, connected applications. Talks only to this
// daemon's JSON API; every value from the server is written with textContent, never parsed as
// HTML. Charts and routes are server-drawn SVG shown as <img> (they cannot run script).
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);

  async function api(method, path, body) {
    const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const res = await fetch(path, options);
    let data = null;
    try {
      data = await res.json();
    } catch (_) {
      data = null;
    }
    if (!res.ok) {
      const message = (data && data.error && data.error.message) || "Request failed (HTTP " + res.status + ")";
      const err = new Error(message);
      err.status = res.status;
      throw err;
    }
    return data;
  }

  function show(el, text) {
    el.textContent = text || "";
    el.hidden = !text;
  }

  function when(value) {
    if (!value) return "—";
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? String(value) : d.toLocaleString();
  }

  // A 401 means the session expired: show the sign-in form again.
  function failed(el, err) {
    if (err.status === 401) {
      window.location.reload();
      return;
    }
    show(el, err.message);
  }

  function initLogin() {
    const form = $("login-form");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      show($("login-error"), "");
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        await api("POST", "/api/auth/login", { email: $("email").value.trim(), password: $("password").value });
        window.location.reload();
      } catch (err) {
        show($("login-error"), err.status === 429 ? "Too many attempts. Wait a minute, then try again." : err.message);
      } finally {
        button.disabled = false;
      }
    });
  }

  async function loadConnection() {
    show($("conn-error"), "");
    try {
      const c = await api("GET", "/api/connection");
      $("conn-status").textContent = c.connected ? "Connected." : "Not connected. Connect Strava so your assistant can read and upload activities.";
      $("conn-status").className = "status " + (c.connected ? "ok" : "off");
      $("conn-details").hidden = !c.connected;
      $("conn-athlete").textContent = c.athlete_id != null ? String(c.athlete_id) : "unknown";
      $("conn-scopes").textContent = c.scopes && c.scopes.length ? c.scopes.join(", ") : "unknown";
      $("conn-expires").textContent = when(c.expires_at);
      $("connect").textContent = c.connected ? "Reconnect Strava" : "Connect Strava";
      $("disconnect").hidden = !c.connected;
    } catch (err) {
      $("conn-status").textContent = "";
      failed($("conn-error"), err);
    }
  }

  function keyRow(key) {
    const tr = document.createElement("tr");
    const cells = [
      key.name,
      key.key_prefix + "…",
      key.tier,
      when(key.created_at),
      when(key.last_used_at),
      key.is_active ? "active" : "revoked",
    ];
    cells.forEach((text, i) => {
      const td = document.createElement("td");
      if (i === 1) {
        const code = document.createElement("code");
        code.textContent = text;
        td.appendChild(code);
      } else {
        td.textContent = text;
      }
      if (i === 5) td.className = key.is_active ? "ok" : "off";
      if (key.description && i === 0) td.title = key.description;
      tr.appendChild(td);
    });
    const actions = document.createElement("td");
    if (key.is_active) {
      const revoke = document.createElement("button");
      revoke.type = "button";
      revoke.className = "danger small";
      revoke.textContent = "Revoke";
      revoke.addEventListener("click", async () => {
        if (!window.confirm("Revoke the key \"" + key.name + "\"? Anything using it stops working at once.")) return;
        revoke.disabled = true;
        try {
          await api("DELETE", "/api/keys/" + encodeURIComponent(key.id));
          await loadKeys();
        } catch (err) {
          revoke.disabled = false;
          failed($("keys-error"), err);
        }
      });
      actions.appendChild(revoke);
    }
    tr.appendChild(actions);
    if (!key.is_active) tr.className = "inactive";
    return tr;
  }

  async function loadKeys() {
    try {
      const data = await api("GET", "/api/keys/list");
      const rows = $("key-rows");
      rows.replaceChildren(...data.keys.map(keyRow));
      $("keys-empty").hidden = data.keys.length > 0;
    } catch (err) {
      failed($("keys-error"), err);
    }
  }

  // Connected applications (MCP OAuth grants): list and revoke.
  function appRow(grant) {
    const tr = document.createElement("tr");
    [grant.client_name, grant.scopes.join(", "), when(grant.created_at), when(grant.last_used_at)].forEach((text, i) => {
      const td = document.createElement("td");
      td.textContent = text;
      if (i === 0) td.title = grant.client_id;
      tr.appendChild(td);
    });
    const actions = document.createElement("td");
    const revoke = document.createElement("button");
    revoke.type = "button";
    revoke.className = "danger small";
    revoke.textContent = "Revoke";
    revoke.addEventListener("click", async () => {
      if (!window.confirm("Revoke \"" + grant.client_name + "\"? It loses access to pacer at once.")) return;
      revoke.disabled = true;
      try {
        await api("DELETE", "/api/oauth/grants/" + encodeURIComponent(grant.id));
        await loadApps();
      } catch (err) {
        revoke.disabled = false;
        failed($("apps-error"), err);
      }
    });
    actions.appendChild(revoke);
    tr.appendChild(actions);
    return tr;
  }

  async function loadApps() {
    try {
      const data = await api("GET", "/api/oauth/grants");
      $("app-rows").replaceChildren(...data.grants.map(appRow));
      $("apps-empty").hidden = data.grants.length > 0;
    } catch (err) {
      failed($("apps-error"), err);
    }
  }

  // Dashboard: two server-drawn charts sized to their column, and the recent activities with
  // their routes (standalone SVG documents from the API, shown as data: images).
  function chartWidth(img) {
    const w = Math.round(img.parentElement.getBoundingClientRect().width);
    return Math.max(280, Math.min(1600, w || 720));
  }

  function loadCharts() {
    show($("charts-error"), "");
    const weekly = $("weekly-chart");
    const fitness = $("fitness-chart");
    const stamp = "&t=" + Date.now();
    weekly.src = "/api/dashboard/weekly.svg?weeks=12&metric=" + encodeURIComponent($("weekly-metric").value) +
      "&width=" + chartWidth(weekly) + stamp;
    fitness.src = "/api/dashboard/fitness.svg?days=90&width=" + chartWidth(fitness) + stamp;
  }

  function distance(m) {
    return m >= 1000 ? (m / 1000).toFixed(1) + " km" : Math.round(m) + " m";
  }

  function duration(s) {
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return h > 0 ? h + " h " + String(m).padStart(2, "0") + " min" : m + " min";
  }

  function day(value) {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? String(value) : d.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
  }

  function recentRow(a) {
    const tr = document.createElement("tr");
    const route = document.createElement("td");
    route.className = "route";
    if (a.route_svg) {
      const img = document.createElement("img");
      img.className = "route";
      img.width = 96;
      img.height = 64;
      img.alt = "Route of " + a.name;
      img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(a.route_svg);
      route.appendChild(img);
    } else {
      route.textContent = "—";
    }
    const what = document.createElement("td");
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = a.name;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = a.sport_type + " · " + day(a.start_date_local);
    what.append(name, meta);
    const amount = document.createElement("td");
    amount.className = "num";
    const dist = document.createElement("span");
    dist.className = "name";
    dist.textContent = a.distance_m > 0 ? distance(a.distance_m) : "—";
    const time = document.createElement("span");
    time.className = "meta";
    time.textContent = duration(a.moving_time_s);
    amount.append(dist, time);
    tr.append(route, what, amount);
    return tr;
  }

  async function loadRecent() {
    show($("recent-error"), "");
    try {
      const data = await api("GET", "/api/dashboard/recent?limit=10");
      $("recent-rows").replaceChildren(...data.activities.map(recentRow));
      $("recent-empty").hidden = data.activities.length > 0;
    } catch (err) {
      failed($("recent-error"), err);
    }
  }

  function initDashboard() {
    for (const id of ["weekly-chart", "fitness-chart"]) {
      $(id).addEventListener("error", () => show($("charts-error"), "A chart could not be drawn. Sign in again or refresh."));
    }
    $("weekly-metric").addEventListener("change", loadCharts);
    $("dash-refresh").addEventListener("click", () => {
      loadCharts();
      loadRecent();
    });
    // Redraw at the new width when the column changes size (rotation, window resize).
    let lastWidth = chartWidth($("weekly-chart"));
    let timer = null;
    window.addEventListener("resize", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const w = chartWidth($("weekly-chart"));
        if (Math.abs(w - lastWidth) >= 40) {
          lastWidth = w;
          loadCharts();
        }
      }, 250);
    });
    loadCharts();
    loadRecent();
  }

  function initApp() {
    $("logout").addEventListener("click", async () => {
      try {
        await api("POST", "/api/auth/logout");
      } finally {
        window.location.reload();
      }
    });

    $("disconnect").addEventListener("click", async () => {
      if (!window.confirm("Disconnect Strava? Your assistant loses access until you connect again.")) return;
      try {
        await api("DELETE", "/api/connection");
      } catch (err) {
        failed($("conn-error"), err);
      }
      await loadConnection();
    });

    $("key-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      show($("keys-error"), "");
      const body = { name: $("key-name").value.trim(), tier: $("key-tier").value };
      const description = $("key-description").value.trim();
      if (description) body.description = description;
      const button = event.target.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const created = await api("POST", "/api/keys/create", body);
        $("new-key-value").textContent = created.api_key;
        $("new-key-warning").textContent = created.warning + ": copy this key now.";
        $("new-key").hidden = false;
        event.target.reset();
        await loadKeys();
      } catch (err) {
        failed($("keys-error"), err);
      } finally {
        button.disabled = false;
      }
    });

    $("copy-key").addEventListener("click", async () => {
      const value = $("new-key-value").textContent;
      try {
        await navigator.clipboard.writeText(value);
        $("copy-key").textContent = "Copied";
      } catch (_) {
        const range = document.createRange();
        range.selectNodeContents($("new-key-value"));
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      }
    });

    initDashboard();
    initImport();
    loadConnection();
    loadKeys();
    loadApps();
  }

  // Import: XHR for upload progress, then the NDJSON answer (progress lines, then the report)
  // read as it arrives.
  function initImport() {
    const form = $("import-form");
    const bar = $("import-progress");
    const status = $("import-status");
    const issues = $("import-issues");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const file = $("import-file").files[0];
      if (!file) return;
      show($("import-error"), "");
      issues.replaceChildren();
      issues.hidden = true;
      bar.hidden = false;
      bar.value = 0;
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      const body = new FormData();
      body.append("file", file);
      const xhr = new XMLHttpRequest();
      let seen = 0;
      const lines = () => {
        const text = xhr.responseText;
        const complete = text.slice(0, text.lastIndexOf("\n") + 1);
        const fresh = complete.slice(seen).split("\n").filter((l) => l.trim() !== "");
        seen = complete.length;
        return fresh.map((l) => JSON.parse(l));
      };
      const handle = (msg) => {
        if (msg.progress) {
          const p = msg.progress;
          if (p.files_total) bar.value = Math.round((100 * p.files_done) / p.files_total);
          show(status, "Importing: " + p.files_done + (p.files_total ? " of " + p.files_total : "") + " files, " +
            (p.bytes_done / 1e6).toFixed(1) + " MB");
        } else if (msg.report) {
          const r = msg.report;
          bar.value = 100;
          show(status, "Imported " + r.imported + " activities; " + r.duplicates.length + " already there, " +
            r.failed.length + " failed, " + r.skipped.length + " skipped.");
          for (const issue of r.failed.concat(r.skipped)) {
            const li = document.createElement("li");
            li.textContent = issue.name + ": " + issue.reason;
            issues.append(li);
          }
          issues.hidden = issues.children.length === 0;
          loadCharts();
          loadRecent();
        } else if (msg.error) {
          show($("import-error"), msg.error.message);
        }
      };
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) {
          bar.value = Math.round((100 * e.loaded) / e.total);
          show(status, "Uploading: " + (e.loaded / 1e6).toFixed(1) + " of " + (e.total / 1e6).toFixed(1) + " MB");
        }
      });
      xhr.addEventListener("progress", () => lines().forEach(handle));
      xhr.addEventListener("loadend", () => {
        button.disabled = false;
        if (xhr.status === 200) {
          lines().forEach(handle);
          return;
        }
        let message = "Import failed (HTTP " + xhr.status + ")";
        try {
          message = JSON.parse(xhr.responseText).error.message || message;
        } catch (_) {}
        if (xhr.status === 401) window.location.reload();
        bar.hidden = true;
        show($("import-error"), message);
      });
      xhr.open("POST", "/api/import");
      xhr.setRequestHeader("Accept", "application/x-ndjson");
      xhr.send(body);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const page = document.body.dataset.page;
    if (page === "login") initLogin();
    if (page === "app") initApp();
  });
})();
