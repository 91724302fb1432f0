"""Pages to look at 3D poses in a browser: one self-contained HTML file, nothing fetched from the
network when it is opened. The 3D is three.js (r170, MIT, vendored: lib/eval/web/three.module.min.js
with its licence; doc/inference.md says why three.js and not plotly), loaded from the page itself
through a Blob URL; the page's own code is lib/eval/web/viewer.js and the app of the page
(lift.js: a lifted keypoint file, infer.py --html; test.js: a test run's sample frames,
test.py --html); the data is JSON in the page, poses as base64 int16 arrays (encode).

A page reports in its body's data- attributes what it holds (data-people, data-frames or
data-samples; data-ready once drawn; data-errors for any error it met), and offers
window.liftPage or window.testPage to drive it (play, step, turn).
"""
import base64
import html
import json
import os
import re

import numpy as np

from lib.core import h36m
from lib.core.files import atomic_path

WEB = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'web')
THREE_VERSION = '0.170.0'
MISSING = -32768           # the int16 that stands for NaN in the page's arrays
APPS = {'lift': ('lift.js', 'liftPage'), 'test': ('test.js', 'testPage')}

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>@TITLE@</title>
<style>@CSS@</style></head>
<body data-ready="0">
<header><h1>@TITLE@</h1><p>@SUBTITLE@</p></header>
<main id="app"></main>
<script>
// Errors anywhere on the page, kept where a test (or a reader) can see them.
window.pageErrors = [];
function pageError(message) {
  window.pageErrors.push(String(message));
  document.body.dataset.errors = window.pageErrors.join('\\n');
}
window.addEventListener('error', (event) => pageError(event.message));
window.addEventListener('unhandledrejection', (event) => pageError(event.reason));
</script>
<script id="three-source" type="text/plain">@THREE@</script>
<script id="page-data" type="application/json">@DATA@</script>
<script type="module">
// three.js @VERSION@ (MIT licence: lib/eval/web/three.LICENSE), from this page, not a CDN.
const source = document.getElementById('three-source').textContent;
const THREE = await import(URL.createObjectURL(new Blob([source], {type: 'text/javascript'})));
@VIEWER@
@APP@
@ENTRY@(JSON.parse(document.getElementById('page-data').textContent));
</script>
</body></html>
"""


def encode(values, scale=1.0):
    """A float array (NaN for missing) as base64 of little-endian int16 of values * scale,
    rounded; MISSING where NaN. The values must fit (|values * scale| < 32767)."""
    values = np.asarray(values, np.float64) * scale
    if np.nanmax(np.abs(values), initial=0.0) >= 32767:
        raise ValueError('values beyond the int16 range at scale %g' % scale)
    ints = np.where(np.isnan(values), MISSING, np.round(np.nan_to_num(values))).astype('<i2')
    return base64.b64encode(ints.tobytes()).decode('ascii')


def skeleton_info():
    """What the page's code needs of the skeleton: parents, the joints of each side, the
    network's input joints and the 2D bones between them (the head joined to the thorax)."""
    return {'parents': [int(p) for p in h36m.PARENTS], 'left_joints': list(h36m.LEFT_JOINTS),
            'right_joints': list(h36m.RIGHT_JOINTS), 'joint_names': list(h36m.JOINT_NAMES),
            'input_joints': list(h36m.INPUT_JOINTS),
            'bones2d': [[child, parent] for parent, child in h36m.BONES_2D]}


def _read(name):
    with open(os.path.join(WEB, name), encoding='utf-8') as f:
        return f.read()


def _inline(text):
    """Text safe inside a <script> element: no '</' can close it early."""
    return text.replace('</', '<\\/')


def render_page(app, title, subtitle, data):
    """The HTML text of a page of `app` (APPS) with its data (JSON-able)."""
    script, entry = APPS[app]
    parts = {'@TITLE@': html.escape(title), '@SUBTITLE@': html.escape(subtitle),
             '@CSS@': _read('page.css'), '@THREE@': _inline(_read('three.module.min.js')),
             '@DATA@': _inline(json.dumps(data, separators=(',', ':'))),
             '@VERSION@': THREE_VERSION, '@VIEWER@': _inline(_read('viewer.js')),
             '@APP@': _inline(_read(script)), '@ENTRY@': entry}
    # One pass: a value (a frame label, say) that holds a key is not replaced again.
    return re.sub('|'.join(map(re.escape, parts)), lambda m: parts[m.group(0)], TEMPLATE)


def write_page(path, app, title, subtitle, data):
    """Write the page atomically (lib.core.files.atomic_path)."""
    text = render_page(app, title, subtitle, data)
    with atomic_path(path, '.tmp.html') as tmp, open(tmp, 'w', encoding='utf-8') as f:
        f.write(text)
