"""The judging pages: server-side templates, autoescaped (model output is text, never HTML), no
external resources (the app works offline), one nonce-bearing script for the countdown."""

from __future__ import annotations

from jinja2 import DictLoader, Environment, select_autoescape

STYLE = """
body { font-family: sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
pre { white-space: pre-wrap; word-break: break-word; background: #f4f4f4; padding: 1rem; border-radius: 4px; }
.countdown { font-size: 1.6rem; font-weight: bold; }
.buttons button { font-size: 1.2rem; padding: 0.6rem 2rem; margin-right: 1rem; }
progress { width: 100%; height: 1rem; }
.error { color: #a00; }
"""

BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Solution check</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{{ style }}</style></head>
<body>{% block body %}{% endblock %}</body></html>
"""

LOGIN = """{% extends "base.html" %}{% block body %}
<h1>Solution check</h1>
{% if error %}<p class="error" id="error">{{ error }}</p>{% endif %}
<form method="post" action="/login">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <label>Access code <input name="code" id="code" autocomplete="off" maxlength="100" required></label>
  <button type="submit" id="enter">Enter</button>
</form>
{% endblock %}"""

INSTRUCTIONS = """{% extends "base.html" %}{% block body %}
<h1>Instructions</h1>
<p>You will see math word problems, each with a worked solution. Decide whether the
<strong>solution</strong> is valid: every step correct and the final answer right. A solution
with the right final answer but a wrong step is <em>invalid</em>.</p>
<p>You have <strong>{{ seconds }} seconds</strong> per solution. When the time runs out the
solution is skipped with no answer. You cannot go back, and you will not be told whether you were
right. You can close the page and come back with your code; you continue where you were.</p>
<form method="post" action="/start">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <button type="submit" id="start">Start</button>
</form>
{% endblock %}"""

ITEM = """{% extends "base.html" %}{% block body %}
<progress id="progress" value="{{ shown.judged }}" max="{{ shown.total }}"></progress>
<p>Solution {{ shown.judged + 1 }} of {{ shown.total }}</p>
<p class="countdown">Time left:
  <span id="countdown" data-ms="{{ shown.remaining_ms }}">{{ shown.remaining_ms // 1000 }}</span> s</p>
<h2>Problem</h2>
<pre id="question">{{ shown.question }}</pre>
<h2>Solution</h2>
<pre id="solution">{{ shown.solution }}</pre>
<form method="post" action="/judge" id="judge" class="buttons">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <input type="hidden" name="position" value="{{ shown.position }}">
  <button type="submit" name="answer" value="valid" id="valid">Valid</button>
  <button type="submit" name="answer" value="invalid" id="invalid">Invalid</button>
</form>
<form method="post" action="/judge" id="timeout">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <input type="hidden" name="position" value="{{ shown.position }}">
  <input type="hidden" name="answer" value="timeout">
</form>
<script nonce="{{ nonce }}">
(function () {
  var left = document.getElementById("countdown");
  var end = Date.now() + parseInt(left.dataset.ms, 10);
  var sent = false;
  document.getElementById("judge").addEventListener("submit", function () { sent = true; });
  function tick() {
    var ms = Math.max(end - Date.now(), 0);
    left.textContent = Math.ceil(ms / 1000);
    if (ms <= 0 && !sent) { sent = true; document.getElementById("timeout").submit(); return; }
    if (!sent) { setTimeout(tick, 200); }
  }
  tick();
})();
</script>
{% endblock %}"""

DONE = """{% extends "base.html" %}{% block body %}
<progress id="progress" value="{{ total }}" max="{{ total }}"></progress>
<h1 id="done">Thank you</h1><p>You have judged every solution. You can close this page.</p>
{% endblock %}"""

ENVIRONMENT = Environment(
    loader=DictLoader(
        {
            "base.html": BASE,
            "login.html": LOGIN,
            "instructions.html": INSTRUCTIONS,
            "item.html": ITEM,
            "done.html": DONE,
        }
    ),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def render(name: str, **values: object) -> str:
    return ENVIRONMENT.get_template(name).render(style=STYLE, **values)
