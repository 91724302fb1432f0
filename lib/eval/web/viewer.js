// The 3D view both pages share, on three.js (THREE, imported by the page before this code):
// a scene in millimetres (Y up), a floor grid, an orbit camera turned with the mouse (drag to
// turn, shift-drag or right-drag to move, wheel to zoom), skeletons as line segments with
// their joints, left limbs red and right ones blue, and the data the page carries.

const COLOURS = {left: 0xd62728, right: 0x1f77b4, centre: 0x444444, truth: 0x9a9a9a};

function decodeArray(text, shape, scale) {
  // A base64 little-endian Int16 array -> Float32Array of `shape`, divided by `scale`;
  // -32768 stands for a missing value (NaN).
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const ints = new Int16Array(bytes.buffer);
  const out = new Float32Array(ints.length);
  for (let k = 0; k < ints.length; k++) {
    out[k] = ints[k] === -32768 ? NaN : ints[k] / scale;
  }
  if (out.length !== shape.reduce((a, b) => a * b, 1)) {
    throw new Error('an array of ' + out.length + ' values, expected shape ' + shape);
  }
  return out;
}

function makeViewer(container, target, distance = 6000) {
  const renderer = new THREE.WebGLRenderer({antialias: true, preserveDrawingBuffer: true});
  renderer.setPixelRatio(window.devicePixelRatio || 1);
  container.appendChild(renderer.domElement);
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xffffff);
  const camera = new THREE.PerspectiveCamera(40, 1, 10, 200000);
  const grid = new THREE.GridHelper(10000, 20, 0xb0b0b0, 0xe0e0e0);
  grid.position.set(target[0], 0, target[2]);          // the floor under the people
  scene.add(grid);
  const orbit = {target: new THREE.Vector3(...target), azimuth: 30, elevation: 15, distance};

  function place() {
    const a = THREE.MathUtils.degToRad(orbit.azimuth);
    const e = THREE.MathUtils.degToRad(orbit.elevation);
    camera.position.set(orbit.target.x + orbit.distance * Math.cos(e) * Math.sin(a),
                        orbit.target.y + orbit.distance * Math.sin(e),
                        orbit.target.z + orbit.distance * Math.cos(e) * Math.cos(a));
    camera.lookAt(orbit.target);
  }

  function resize() {
    const w = container.clientWidth || 640;
    const h = container.clientHeight || 480;
    renderer.setSize(w, h);
    camera.aspect = w / h;
    camera.updateProjectionMatrix();
  }

  let drag = null;
  renderer.domElement.addEventListener('contextmenu', (event) => event.preventDefault());
  renderer.domElement.addEventListener('pointerdown', (event) => {
    drag = {x: event.clientX, y: event.clientY, move: event.shiftKey || event.button === 2};
    renderer.domElement.setPointerCapture(event.pointerId);
  });
  renderer.domElement.addEventListener('pointerup', () => { drag = null; });
  renderer.domElement.addEventListener('pointermove', (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    drag.x = event.clientX;
    drag.y = event.clientY;
    if (drag.move) {
      const right = new THREE.Vector3().setFromMatrixColumn(camera.matrix, 0);
      const up = new THREE.Vector3().setFromMatrixColumn(camera.matrix, 1);
      const step = orbit.distance / 800;
      orbit.target.addScaledVector(right, -dx * step).addScaledVector(up, dy * step);
    } else {
      view.turn(-dx * 0.4, dy * 0.3);
    }
  });
  renderer.domElement.addEventListener('wheel', (event) => {
    event.preventDefault();
    view.zoom(Math.exp(event.deltaY * 0.001));
  }, {passive: false});

  const view = {
    renderer, scene, camera, orbit, grid,
    turn(dAzimuth, dElevation = 0) {
      orbit.azimuth += dAzimuth;
      orbit.elevation = Math.max(-85, Math.min(85, orbit.elevation + dElevation));
    },
    zoom(factor) { orbit.distance = Math.max(300, Math.min(80000, orbit.distance * factor)); },
    render() { place(); renderer.render(scene, camera); },
    resize,
  };
  window.addEventListener('resize', () => { resize(); view.render(); });
  resize();
  return view;
}

function boneColour(child, info, truth) {
  if (truth) return COLOURS.truth;
  if (info.left_joints.includes(child)) return COLOURS.left;
  if (info.right_joints.includes(child)) return COLOURS.right;
  return COLOURS.centre;
}

function makeSkeleton(scene, info, truth = false) {
  // A skeleton of the 17 joints: each bone (child, parent) a thin cylinder, each joint a dot.
  const bones = [];
  info.parents.forEach((parent, child) => { if (parent >= 0) bones.push([child, parent]); });
  const shape = new THREE.CylinderGeometry(truth ? 10 : 14, truth ? 10 : 14, 1, 8);
  const group = new THREE.Group();
  const meshes = bones.map(([child]) => {
    const mesh = new THREE.Mesh(shape, new THREE.MeshBasicMaterial(
      {color: boneColour(child, info, truth), transparent: truth, opacity: truth ? 0.6 : 1}));
    group.add(mesh);
    return mesh;
  });
  const dots = new THREE.Points(new THREE.BufferGeometry().setAttribute(
    'position', new THREE.BufferAttribute(new Float32Array(info.parents.length * 3), 3)),
    new THREE.PointsMaterial({color: truth ? COLOURS.truth : 0x222222, size: 45}));
  group.add(dots);
  scene.add(group);
  const up = new THREE.Vector3(0, 1, 0);
  const a = new THREE.Vector3();
  const b = new THREE.Vector3();
  return {
    group,
    set(pose) {
      // pose: 17 * 3 floats (mm), or null to hide the skeleton.
      group.visible = pose !== null && !Number.isNaN(pose[0]);
      if (!group.visible) return;
      bones.forEach(([child, parent], k) => {
        a.fromArray(pose, parent * 3);
        b.fromArray(pose, child * 3);
        const mesh = meshes[k];
        mesh.position.addVectors(a, b).multiplyScalar(0.5);
        b.sub(a);
        mesh.scale.set(1, Math.max(b.length(), 1e-3), 1);
        mesh.quaternion.setFromUnitVectors(up, b.normalize());
      });
      dots.geometry.attributes.position.array.set(pose);
      dots.geometry.attributes.position.needsUpdate = true;
    },
    hide() { group.visible = false; },
  };
}

function drawCamera(scene, where, forward) {
  // The camera that filmed the people: a small pyramid at its place, looking along `forward`.
  const apex = new THREE.Vector3(...where);
  const ahead = new THREE.Vector3(...forward).normalize();
  const side = new THREE.Vector3().crossVectors(ahead, new THREE.Vector3(0, 1, 0)).normalize();
  const up = new THREE.Vector3().crossVectors(side, ahead).normalize();
  const base = apex.clone().addScaledVector(ahead, 350);
  const corners = [[1, 1], [1, -1], [-1, -1], [-1, 1]].map(([s, u]) =>
    base.clone().addScaledVector(side, s * 200).addScaledVector(up, u * 140));
  const segments = [];
  corners.forEach((c, k) => segments.push(apex, c, c, corners[(k + 1) % 4]));
  const geometry = new THREE.BufferGeometry().setFromPoints(segments);
  scene.add(new THREE.LineSegments(geometry, new THREE.LineBasicMaterial({color: 0x2ca02c})));
}

function draw2d(canvas, people, extent, label) {
  // The 2D input of one frame: each person's keypoints (a list of {points: 17 * 2 floats px,
  // filled: [joint], colour}) in the image's pixels fitted to the canvas; filled joints as
  // hollow circles; the frame's image id above.
  const ctx = canvas.getContext('2d');
  const w = canvas.width;
  const h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  const scale = Math.min(w / extent[0], (h - 20) / extent[1]);
  ctx.strokeStyle = '#cccccc';
  ctx.strokeRect(0.5, 20.5, extent[0] * scale - 1, extent[1] * scale - 1);
  for (const person of people) {
    const at = (j) => [person.points[j * 2] * scale, 20 + person.points[j * 2 + 1] * scale];
    person.bones.forEach(([child, parent]) => {
      if (Number.isNaN(person.points[child * 2]) || Number.isNaN(person.points[parent * 2])) return;
      ctx.strokeStyle = person.colours[child];
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(...at(parent));
      ctx.lineTo(...at(child));
      ctx.stroke();
    });
    person.joints.forEach((j) => {
      if (Number.isNaN(person.points[j * 2])) return;
      ctx.beginPath();
      ctx.arc(...at(j), 3, 0, 2 * Math.PI);
      if (person.filled.includes(j)) {
        ctx.strokeStyle = '#000000';
        ctx.lineWidth = 1;
        ctx.stroke();
      } else {
        ctx.fillStyle = '#222222';
        ctx.fill();
      }
    });
  }
  ctx.fillStyle = '#222222';
  ctx.font = '13px sans-serif';
  ctx.fillText(label, 4, 14);
}
