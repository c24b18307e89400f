// The assembled vehicle of a dossier version in one three.js scene (three.js from the npm registry,
// served from /static/vendor/three/ through the page's import map, like the blueprint viewer).
//
// Every part is a group carrying its placement in the CAD frame (metres, x forward, y left, z up):
// scale, then rotation (degrees, XYZ order), then position. One "world" group turns that frame
// into three.js's y-up. STL is z-up already; OBJ and glTF are y-up and are turned z-up inside their
// part's group, as the still renderer does. Parts toggle by phase; those the reader may place are
// moved with TransformControls or the numeric form of each part, kept in sync, and saved with a
// JSON POST to the form's own address (the form works without JavaScript too).
import * as THREE from "three";
import { STLLoader } from "three/addons/loaders/STLLoader.js";
import { OBJLoader } from "three/addons/loaders/OBJLoader.js";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";
import { TransformControls } from "three/addons/controls/TransformControls.js";

const root = document.querySelector("[data-assembly]");
const data = JSON.parse(document.getElementById("assembly-scene").textContent);
const canvas = root.querySelector(".asm-canvas");
const still = root.querySelector(".asm-still");
const statusLine = root.querySelector(".asm-status");
const controlsBox = document.querySelector("[data-assembly-controls]");
const partSelect = document.querySelector("[data-part-select]");
const saveButton = document.querySelector("[data-save]");

const KIND_COLOURS = {
  concept: 0x5c80a8, front: 0xb4451f, rear: 0x7a5c99, side: 0x2f6b3a, wheels_tyres: 0x2b3036,
  materials: 0x9a8f7d, interior: 0xc9a227, drivetrain: 0x8a8f96, other: 0x4f8f8f,
};
const DEGREES = 180 / Math.PI;

function setState(state, message) {
  root.dataset.state = state;
  statusLine.textContent = message || "";
}

function materialFor(kind) {
  return new THREE.MeshStandardMaterial({
    color: KIND_COLOURS[kind] || KIND_COLOURS.other, metalness: 0.15, roughness: 0.6, side: THREE.DoubleSide,
  });
}

async function fetchModel(url) {
  const response = await fetch(url, { credentials: "omit" });
  if (!response.ok) throw new Error(String(response.status));
  return response.arrayBuffer();
}

async function parse(type, bytes, material) {
  if (type === "stl") {
    const geometry = new STLLoader().parse(bytes);
    geometry.computeVertexNormals(); // many exporters write zero normals
    return new THREE.Mesh(geometry, material);
  }
  let object;
  if (type === "obj") {
    object = new OBJLoader().parse(new TextDecoder().decode(bytes));
    object.traverse((child) => {
      if (!child.isMesh) return;
      child.material = material;
      if (!child.geometry.attributes.normal) child.geometry.computeVertexNormals();
    });
  } else if (type === "glb") {
    object = await new Promise((resolve, reject) =>
      new GLTFLoader().parse(bytes, "", (gltf) => resolve(gltf.scene), reject));
  } else {
    throw new Error("unsupported " + type);
  }
  const upright = new THREE.Group(); // y-up formats, turned z-up like STL
  upright.rotation.x = Math.PI / 2;
  upright.add(object);
  return upright;
}

function round(value, places) {
  const factor = 10 ** places;
  return Math.round(value * factor) / factor;
}

function formOf(partId) {
  return document.querySelector(`[data-placement-form="${partId}"]`);
}

function readForm(form) {
  const number = (name) => Number(form.elements[name].value);
  return {
    position: ["x", "y", "z"].map((axis) => number("position_" + axis)),
    rotation: ["x", "y", "z"].map((axis) => number("rotation_" + axis)),
    scale: number("scale"),
  };
}

function writeForm(form, group) {
  ["x", "y", "z"].forEach((axis) => {
    form.elements["position_" + axis].value = round(group.position[axis], 3);
    form.elements["rotation_" + axis].value = round(group.rotation[axis] * DEGREES, 1);
  });
  form.elements.scale.value = round(group.scale.x, 4);
}

function applyPlacement(group, placement) {
  const [x, y, z] = placement.position;
  const [rx, ry, rz] = placement.rotation;
  if (![x, y, z, rx, ry, rz, placement.scale].every(Number.isFinite) || placement.scale <= 0) return false;
  group.position.set(x, y, z);
  group.rotation.set(rx / DEGREES, ry / DEGREES, rz / DEGREES, "XYZ");
  group.scale.setScalar(placement.scale);
  return true;
}

function csrfToken(form) {
  const field = form.querySelector("input[name=csrfmiddlewaretoken]");
  return field ? field.value : "";
}

(async function main() {
  setState("loading", root.dataset.msgLoading);
  let renderer;
  try {
    renderer = new THREE.WebGLRenderer({ canvas: canvas, antialias: true });
  } catch (error) {
    setState("no-webgl", root.dataset.msgNowebgl);
    return;
  }
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xf6f5f1);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x667788, 1.6));
  const sun = new THREE.DirectionalLight(0xffffff, 1.8);
  sun.position.set(2, 4, 3);
  scene.add(sun);
  const world = new THREE.Group(); // the CAD frame (z up) in three.js's (y up)
  world.rotation.x = -Math.PI / 2;
  scene.add(world);

  const groups = new Map();
  const loads = [];
  for (const part of data.parts) {
    const group = new THREE.Group();
    group.name = part.title;
    group.userData = { partId: part.id, phaseId: part.phaseId, canPlace: part.canPlace, placeUrl: part.placeUrl };
    applyPlacement(group, part);
    world.add(group);
    groups.set(String(part.id), group);
    const material = materialFor(part.kind);
    for (const mesh of part.meshes) {
      loads.push(
        fetchModel(mesh.url)
          .then((bytes) => parse(mesh.type, bytes, material))
          .then((object) => { group.add(object); return true; })
          .catch((error) => { console.error(mesh.name, error); return false; }),
      );
    }
  }
  const results = await Promise.all(loads);
  const loaded = results.filter(Boolean).length;
  root.dataset.meshes = String(loaded);
  if (!loaded) {
    setState("failed", root.dataset.msgFailed);
    return;
  }

  canvas.hidden = false;
  if (still) still.hidden = true;
  if (controlsBox) controlsBox.hidden = false;
  const size = () => [canvas.clientWidth || 800, canvas.clientHeight || 450];
  let [width, height] = size();
  renderer.setPixelRatio(window.devicePixelRatio || 1);
  renderer.setSize(width, height, false);

  world.updateMatrixWorld(true);
  const box = new THREE.Box3().setFromObject(world);
  const centre = box.getCenter(new THREE.Vector3());
  const radius = Math.max(box.getSize(new THREE.Vector3()).length() / 2, 1e-3);
  const camera = new THREE.PerspectiveCamera(40, width / height, radius / 100, radius * 100);
  // From the front right and a little above, as the still shows it (CAD x forward = three.js x, CAD y = -z).
  camera.position.copy(centre).add(new THREE.Vector3(1.1, 0.75, 1.6).normalize().multiplyScalar(radius * 2.6));
  const orbit = new OrbitControls(camera, canvas);
  orbit.target.copy(centre);
  orbit.update();

  let pending = false;
  function render() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      renderer.render(scene, camera);
    });
  }
  orbit.addEventListener("change", render);
  new ResizeObserver(() => {
    [width, height] = size();
    renderer.setSize(width, height, false);
    camera.aspect = width / height;
    camera.updateProjectionMatrix();
    render();
  }).observe(canvas);

  // Phases on and off.
  let selected = null;
  let transform = null;
  document.querySelectorAll("[data-phase-toggle]").forEach((toggle) => {
    toggle.addEventListener("change", () => {
      for (const group of groups.values()) {
        if (String(group.userData.phaseId) === toggle.dataset.phaseToggle) group.visible = toggle.checked;
      }
      if (selected && !selected.visible) select(null);
      render();
    });
  });

  // Placing parts.
  function select(group) {
    selected = group && group.userData.canPlace ? group : null;
    if (!transform) return;
    if (selected) transform.attach(selected);
    else transform.detach();
    if (partSelect) partSelect.value = selected ? String(selected.userData.partId) : "";
    if (saveButton) saveButton.disabled = !selected;
    render();
  }

  if (data.parts.some((part) => part.canPlace)) {
    transform = new TransformControls(camera, canvas);
    transform.setSpace("local");
    scene.add(transform.getHelper());
    transform.addEventListener("change", render);
    transform.addEventListener("dragging-changed", (event) => { orbit.enabled = !event.value; });
    let scaleBefore = 1;
    transform.addEventListener("mouseDown", () => { if (selected) scaleBefore = selected.scale.x; });
    transform.addEventListener("objectChange", () => {
      if (!selected) return;
      if (transform.getMode() === "scale") {
        // One size factor per part: the axis dragged furthest wins.
        const axes = [selected.scale.x, selected.scale.y, selected.scale.z];
        const factor = axes.reduce((best, value) => (Math.abs(value - scaleBefore) > Math.abs(best - scaleBefore) ? value : best));
        selected.scale.setScalar(Math.min(Math.max(factor, 0.001), 100));
      }
      const form = formOf(selected.userData.partId);
      if (form) writeForm(form, selected);
    });

    document.querySelectorAll("[data-mode]").forEach((button) => {
      button.addEventListener("click", () => {
        transform.setMode(button.dataset.mode);
        document.querySelectorAll("[data-mode]").forEach((other) => other.setAttribute("aria-pressed", String(other === button)));
      });
    });
    if (partSelect) partSelect.addEventListener("change", () => select(groups.get(partSelect.value) || null));
    if (saveButton) saveButton.addEventListener("click", () => {
      const form = selected && formOf(selected.userData.partId);
      if (form) form.requestSubmit();
    });

    // A click (not a drag) on a part selects it.
    const raycaster = new THREE.Raycaster();
    let down = null;
    canvas.addEventListener("pointerdown", (event) => { down = [event.clientX, event.clientY]; });
    canvas.addEventListener("pointerup", (event) => {
      if (!down || Math.hypot(event.clientX - down[0], event.clientY - down[1]) > 4 || transform.dragging) return;
      const bounds = canvas.getBoundingClientRect();
      const pointer = new THREE.Vector2(
        ((event.clientX - bounds.left) / bounds.width) * 2 - 1,
        -((event.clientY - bounds.top) / bounds.height) * 2 + 1,
      );
      raycaster.setFromCamera(pointer, camera);
      const hit = raycaster.intersectObjects(world.children, true).find((item) => item.object.visible);
      let object = hit ? hit.object : null;
      while (object && object.userData.partId === undefined) object = object.parent;
      if (object && object.userData.canPlace) select(object);
    });
  }

  // The numeric forms move their part as one types, and save without leaving the page.
  document.querySelectorAll("[data-placement-form]").forEach((form) => {
    const group = groups.get(form.dataset.placementForm);
    form.addEventListener("input", () => {
      if (group && applyPlacement(group, readForm(form))) render();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const status = form.querySelector(".asm-form-status") || form.appendChild(Object.assign(document.createElement("p"), { className: "asm-form-status" }));
      status.setAttribute("role", "status");
      status.textContent = root.dataset.msgSaving;
      form.dataset.state = "saving";
      try {
        const response = await fetch(form.action, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken(form) },
          body: JSON.stringify(readForm(form)),
        });
        const answer = await response.json().catch(() => ({}));
        if (!response.ok) {
          const fields = answer.fields ? Object.entries(answer.fields).map(([name, texts]) => name.replace("_", " ") + ": " + texts.join(" ")) : [];
          status.textContent = [answer.detail || root.dataset.msgRefused, ...fields].join(" ");
          form.dataset.state = "refused";
          return;
        }
        if (group) applyPlacement(group, answer);
        status.textContent = root.dataset.msgSaved;
        form.dataset.state = "saved";
        render();
      } catch (error) {
        status.textContent = root.dataset.msgRefused;
        form.dataset.state = "refused";
      }
    });
  });

  render();
  setState("shown", results.length > loaded ? root.dataset.msgSomeFailed : "");
})();
