// The page of a test run (test.py --html): for each action its worst, median and best test
// frames; the chosen one's prediction (in colour) over its truth (grey) in 3D, its 2D input
// beside, and, under the mouse, each predicted joint's error.

function testPage(data) {
  const app = document.getElementById('app');
  app.innerHTML = `
    <div class="views"><div id="view3d" class="view3d"><div id="tip" class="tooltip"></div></div>
      <div class="side"><canvas id="view2d" width="420" height="300"></canvas>
        <div id="summary"></div><div id="samples" class="samples"></div></div></div>`;
  const info = data.info;
  const view = makeViewer(document.getElementById('view3d'), [0, 0, 0], 3500);
  const truth = makeSkeleton(view.scene, info, true);
  const pred = makeSkeleton(view.scene, info);
  const samples = data.samples.map((s) => ({...s,
    truth3d: decodeArray(s.truth, [17, 3], data.scales.mm),
    pred3d: decodeArray(s.pred, [17, 3], data.scales.mm),
    pose2d: decodeArray(s.pose2d, [17, 2], data.scales.px)}));
  const list = document.getElementById('samples');
  samples.forEach((sample, k) => {
    const row = document.createElement('div');
    row.textContent = `${sample.action}: ${sample.kind}, ${sample.p1.toFixed(1)} mm (${sample.label})`;
    row.addEventListener('click', () => page.show(k));
    list.appendChild(row);
  });
  let current = 0;
  const colours = info.parents.map((_, j) => info.left_joints.includes(j) ? '#d62728'
    : info.right_joints.includes(j) ? '#1f77b4' : '#444444');

  function show(k) {
    current = k;
    const sample = samples[k];
    truth.set(sample.truth3d);
    pred.set(sample.pred3d);
    // The floor under the lower of the two skeletons' feet (the poses are pelvis-relative).
    let lowest = 0;
    for (let j = 0; j < 17; j++) {
      lowest = Math.min(lowest, sample.truth3d[j * 3 + 1], sample.pred3d[j * 3 + 1]);
    }
    view.grid.position.y = lowest;
    [...list.children].forEach((row, i) => row.classList.toggle('chosen', i === k));
    const xs = [], ys = [];
    for (let j = 0; j < 17; j++) { xs.push(sample.pose2d[j * 2]); ys.push(sample.pose2d[j * 2 + 1]); }
    const left = Math.min(...xs), top = Math.min(...ys);
    const shifted = sample.pose2d.map((v, i) => v - (i % 2 ? top : left) + 20);
    draw2d(document.getElementById('view2d'),
           [{points: shifted, bones: info.bones2d, joints: info.input_joints, filled: [], colours}],
           [Math.max(...xs) - left + 40, Math.max(...ys) - top + 40], `2D input: ${sample.label}`);
    document.getElementById('summary').textContent =
      `${sample.action}, ${sample.kind} frame: Protocol #1 ${sample.p1.toFixed(1)} mm`;
    view.render();
    page.current = k;
  }

  const tip = document.getElementById('tip');
  view.renderer.domElement.addEventListener('pointermove', (event) => {
    view.render();
    const rect = view.renderer.domElement.getBoundingClientRect();
    const found = page.jointAt(event.clientX - rect.left, event.clientY - rect.top);
    tip.style.display = found ? 'block' : 'none';
    if (found) {
      tip.textContent = `${found.name}: ${found.error.toFixed(1)} mm`;
      tip.style.left = `${event.clientX - rect.left + 12}px`;
      tip.style.top = `${event.clientY - rect.top + 12}px`;
    }
  });
  view.renderer.domElement.addEventListener('wheel', () => view.render());

  const page = window.testPage = {
    samples: samples.length, current: 0,
    show,
    turn(degrees, elevation = 0) { view.turn(degrees, elevation); view.render(); },
    jointAt(x, y) {
      // The predicted joint drawn within 12 px of (x, y) in the 3D view, with its error.
      const sample = samples[current];
      const rect = view.renderer.domElement;
      let best = null;
      for (let j = 0; j < 17; j++) {
        const p = new THREE.Vector3().fromArray(sample.pred3d, j * 3).project(view.camera);
        const px = (p.x + 1) / 2 * rect.clientWidth, py = (1 - p.y) / 2 * rect.clientHeight;
        const d = Math.hypot(px - x, py - y);
        if (d < 12 && (!best || d < best.d)) {
          best = {d, joint: j, name: info.joint_names[j], error: sample.errors[j], x: px, y: py};
        }
      }
      return best;
    },
    jointOnScreen(j) {
      // Where the view draws predicted joint j, in the canvas's pixels.
      const p = new THREE.Vector3().fromArray(samples[current].pred3d, j * 3).project(view.camera);
      const rect = view.renderer.domElement;
      return [(p.x + 1) / 2 * rect.clientWidth, (1 - p.y) / 2 * rect.clientHeight];
    },
  };
  show(0);
  Object.assign(document.body.dataset, {samples: String(samples.length), ready: '1'});
}
