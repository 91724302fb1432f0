// The page of a lifted keypoint file (infer.py --html): every person's 3D skeleton in one scene,
// the camera drawn; the 2D input of the same frame beside it (filled joints hollow, the image
// id above); the people listed, each shown or hidden; play, pause, step and a slider over the
// frames, the speed chosen; frames left out drawn as gaps in a strip under the slider, with
// their reasons. window.liftPage and the body's data- attributes say what the page holds.

function liftPage(data) {
  const app = document.getElementById('app');
  app.innerHTML = `
    <div class="views"><div id="view3d" class="view3d"></div>
      <div class="side"><canvas id="view2d" width="420" height="340"></canvas>
        <div id="people" class="people"></div><div id="reasons" class="reasons"></div></div></div>
    <div class="controls">
      <button id="back" title="previous frame (left arrow)">&#9664;</button>
      <button id="play" title="play or pause (space)">play</button>
      <button id="next" title="next frame (right arrow)">&#9654;</button>
      <div class="timeline"><input id="slider" type="range" min="0" value="0">
        <canvas id="gaps" height="6"></canvas></div>
      <select id="speed" title="speed">${[0.25, 0.5, 1, 2, 4].map((s) =>
        `<option value="${s}"${s === 1 ? ' selected' : ''}>${s}x</option>`).join('')}</select>
      <span id="frame" class="frame"></span></div>`;
  const info = data.info;
  const frames = data.frames;
  const view = makeViewer(document.getElementById('view3d'), data.target, data.distance);
  drawCamera(view.scene, data.camera.where, data.camera.forward);
  const bones2d = info.bones2d;
  const people = data.people.map((person, k) => ({
    id: person.id, colour: person.colour, shown: true, filled: person.filled,
    leftOut: person.left_out,
    pose3d: decodeArray(person.pose3d, [frames, 17, 3], data.scales.mm),
    pose2d: decodeArray(person.pose2d, [frames, 17, 2], data.scales.px),
    skeleton: makeSkeleton(view.scene, info),
  }));
  const state = {frame: 0, playing: false, speed: 1, clock: 0, rendered: 0, since: 0, fps: 0};
  const slider = document.getElementById('slider');
  slider.max = String(frames - 1);

  const list = document.getElementById('people');
  people.forEach((person, k) => {
    const row = document.createElement('label');
    row.innerHTML = `<input type="checkbox" checked data-person="${k}"> ` +
      `<span style="color:${person.colour}">&#9632;</span> person ${person.id}`;
    row.querySelector('input').addEventListener('change', (event) => {
      person.shown = event.target.checked;
      show(state.frame);
    });
    list.appendChild(row);
  });
  drawGaps();

  function drawGaps() {
    // One row a person: its lifted frames in its colour, its frames left out in red.
    const canvas = document.getElementById('gaps');
    canvas.width = slider.clientWidth || 600;
    canvas.height = 4 * Math.max(people.length, 1) + 2;
    const ctx = canvas.getContext('2d');
    const width = canvas.width / frames;
    people.forEach((person, k) => {
      for (let f = 0; f < frames; f++) {
        const lifted = !Number.isNaN(person.pose3d[f * 51]);
        const reason = person.leftOut[f];
        if (!lifted && reason === undefined) continue;
        ctx.fillStyle = lifted ? person.colour : '#d62728';
        ctx.fillRect(f * width, k * 4, Math.max(width, 1), 3);
      }
    });
  }

  function show(frame) {
    state.frame = frame;
    const seen = [];
    const reasons = [];
    for (const person of people) {
      const pose = person.pose3d.subarray(frame * 51, frame * 51 + 51);
      person.skeleton.set(person.shown ? pose : null);
      if (!person.shown) continue;
      if (!Number.isNaN(pose[0])) {
        seen.push({points: person.pose2d.subarray(frame * 34, frame * 34 + 34), bones: bones2d,
                   joints: info.input_joints, filled: person.filled[frame] || [],
                   colours: info.parents.map((_, j) => info.left_joints.includes(j) ? '#d62728'
                     : info.right_joints.includes(j) ? '#1f77b4' : '#444444')});
      } else if (person.leftOut[frame] !== undefined) {
        reasons.push(`person ${person.id} left out: ${person.leftOut[frame]}`);
      }
    }
    draw2d(document.getElementById('view2d'), seen, data.extent, `image ${data.labels[frame]}`);
    document.getElementById('reasons').textContent = reasons.join('\n');
    document.getElementById('frame').textContent = `frame ${frame + 1} / ${frames}`;
    slider.value = String(frame);
    view.render();
    state.rendered += 1;
    page.frame = frame;
  }

  function tick(now) {
    if (state.playing) {
      if (state.clock) {
        state.advance = (state.advance || 0) + (now - state.clock) / 1000 * data.fps * state.speed;
        const steps = Math.floor(state.advance);
        if (steps > 0) {
          state.advance -= steps;
          show((state.frame + steps) % frames);
        }
      }
      state.clock = now;
      if (now - state.since >= 1000) {
        page.fps = state.rendered * 1000 / (now - state.since);
        state.since = now;
        state.rendered = 0;
      }
    }
    requestAnimationFrame(tick);
  }

  const page = window.liftPage = {
    people: people.length, frames, frame: 0, fps: 0, ready: false,
    play() { state.playing = true; state.clock = 0; state.since = performance.now();
             state.rendered = 0; document.getElementById('play').textContent = 'pause'; },
    pause() { state.playing = false; document.getElementById('play').textContent = 'play'; },
    step(n) { show(((state.frame + n) % frames + frames) % frames); },
    setFrame(k) { show(Math.max(0, Math.min(frames - 1, k))); },
    turn(degrees, elevation = 0) { view.turn(degrees, elevation); view.render(); },
    zoom(factor) { view.zoom(factor); view.render(); },
    setSpeed(speed) { state.speed = speed; },
    showPerson(k, shown) { people[k].shown = shown; show(state.frame); },
    // What the scene shows now: the people whose skeleton is drawn, and the reasons listed.
    visible() { return people.filter((p) => p.skeleton.group.visible).map((p) => p.id); },
    reasons() { return document.getElementById('reasons').textContent; },
  };
  document.getElementById('play').addEventListener('click', () =>
    (state.playing ? page.pause() : page.play()));
  document.getElementById('back').addEventListener('click', () => page.step(-1));
  document.getElementById('next').addEventListener('click', () => page.step(1));
  document.getElementById('speed').addEventListener('change', (event) =>
    page.setSpeed(Number(event.target.value)));
  slider.addEventListener('input', () => show(Number(slider.value)));
  document.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowLeft') page.step(-1);
    if (event.key === 'ArrowRight') page.step(1);
    if (event.key === ' ') { event.preventDefault(); document.getElementById('play').click(); }
  });
  view.renderer.domElement.addEventListener('pointermove', () => view.render());
  view.renderer.domElement.addEventListener('wheel', () => view.render());
  show(0);
  page.ready = true;
  Object.assign(document.body.dataset, {people: String(people.length), frames: String(frames),
                                        ready: '1'});
  requestAnimationFrame(tick);
}
